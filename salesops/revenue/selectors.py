"""Reads of revenue records, always through visibility, and the figures derived from them
(paid to date, remaining, instalment states) — computed, never stored by hand."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Prefetch, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from salesops.core import clock
from salesops.core.money import percent
from salesops.pipeline.models import Deal, DealStatus

from . import policy
from .filters import ContractFilterSet, DeliveryFilterSet, InvoiceFilterSet, PaymentFilterSet
from .models import (
    SIGNED_STATUSES,
    Contract,
    Delivery,
    DeliveryStatus,
    Instalment,
    Invoice,
    InvoiceStatus,
    Payment,
)

ZERO = Decimal("0.00")


def _money_sum(queryset):
    return Coalesce(
        Subquery(queryset.values("contract_id").annotate(t=Sum("amount")).values("t")[:1]),
        Value(ZERO),
        output_field=DecimalField(max_digits=16, decimal_places=2),
    )


def with_figures(queryset):
    """Contracts with ``paid_total`` and ``invoiced_total`` (one subquery each)."""
    return queryset.annotate(
        paid_total=_money_sum(Payment.objects.filter(contract_id=OuterRef("pk"))),
        invoiced_total=_money_sum(
            Invoice.objects.filter(contract_id=OuterRef("pk"), status=InvoiceStatus.ISSUED)
        ),
    )


def contract_filterset(*, user, data):
    qs = with_figures(Contract.objects.visible_to(user).select_related("account", "owner"))
    return ContractFilterSet(data, queryset=qs)


def contract_get(*, user, pk: int) -> Contract:
    return (
        with_figures(Contract.objects.visible_to(user))
        .select_related("account", "owner", "created_by", "deal")
        .prefetch_related("instalments")
        .get(pk=pk)
    )


def contract_get_for_edit(*, user, pk: int) -> Contract:
    return Contract.objects.editable_by(user).select_related("account").get(pk=pk)


def contract_editable(*, user, contract: Contract) -> bool:
    return Contract.objects.editable_by(user).filter(pk=contract.pk).exists()


def may_bill(*, user, contract: Contract) -> bool:
    """Whether ``user`` may record (and change) payments and invoices on ``contract``: the
    roles the revenue policy names (finance by default), on the contracts they see. The
    one check the payment page and the API share."""
    return (
        policy.may_record_money(user)
        and Contract.objects.visible_to(user).filter(pk=contract.pk).exists()
    )


def payment_filterset(*, user, data):
    qs = Payment.objects.visible_to(user).select_related("contract", "account", "instalment")
    return PaymentFilterSet(data, queryset=qs)


def payment_get(*, user, pk: int) -> Payment:
    return Payment.objects.visible_to(user).select_related("contract", "account").get(pk=pk)


def payment_get_for_edit(*, user, pk: int) -> Payment:
    return Payment.objects.editable_by(user).select_related("contract", "account").get(pk=pk)


def invoice_filterset(*, user, data):
    qs = Invoice.objects.visible_to(user).select_related("contract", "account")
    return InvoiceFilterSet(data, queryset=qs)


def invoice_get(*, user, pk: int) -> Invoice:
    return Invoice.objects.visible_to(user).select_related("contract", "account").get(pk=pk)


def invoice_get_for_edit(*, user, pk: int) -> Invoice:
    return Invoice.objects.editable_by(user).select_related("contract", "account").get(pk=pk)


def delivery_filterset(*, user, data):
    qs = Delivery.objects.visible_to(user).select_related("contract", "account")
    return DeliveryFilterSet(data, queryset=qs)


def delivery_get(*, user, pk: int) -> Delivery:
    return Delivery.objects.visible_to(user).select_related("contract", "account").get(pk=pk)


def delivery_get_for_edit(*, user, pk: int) -> Delivery:
    return Delivery.objects.editable_by(user).select_related("contract", "account").get(pk=pk)


def visible_deal(*, user, pk: int) -> Deal | None:
    """A deal ``user`` may see (to link a contract to), or None."""
    return Deal.objects.visible_to(user).select_related("account").filter(pk=pk).first()


def linkable_deals(*, user, contract: Contract):
    """The deals ``user`` may link ``contract`` to: the contract account's deals they
    see, not lost, newest first."""
    return (
        Deal.objects.visible_to(user)
        .filter(account_id=contract.account_id)
        .exclude(status=DealStatus.LOST)
        .select_related("stage", "owner")
        .order_by("-created_at", "-id")
    )


def visible_contract(*, user, pk: int) -> Contract | None:
    return Contract.objects.visible_to(user).select_related("account").filter(pk=pk).first()


@dataclass
class InstalmentState:
    instalment: Instalment
    paid: Decimal
    state: str  # "paid" | "partly_paid" | "overdue" | "due"

    @property
    def outstanding(self) -> Decimal:
        return max(self.instalment.amount - self.paid, ZERO)


def instalment_states(contract: Contract, payments=None, *, today=None) -> list[InstalmentState]:
    """Each instalment with what has been paid towards it: payments that name it first,
    then the rest in date order filling the earliest instalments still open. Overdue: not
    fully paid and its due date has passed."""
    today = today or clock.today()
    plan = sorted(contract.instalments.all(), key=lambda i: i.sequence)
    payments = list(payments if payments is not None else contract.payments.all())
    paid = {i.pk: ZERO for i in plan}
    loose = ZERO
    for payment in payments:
        if payment.instalment_id in paid:
            paid[payment.instalment_id] += payment.amount
        else:
            loose += payment.amount
    # What a named instalment received beyond its amount counts towards the others.
    for i in plan:
        if paid[i.pk] > i.amount:
            loose += paid[i.pk] - i.amount
            paid[i.pk] = i.amount
    states = []
    for i in plan:
        take = min(loose, i.amount - paid[i.pk])
        paid[i.pk] += take
        loose -= take
        if paid[i.pk] >= i.amount:
            state = "paid"
        elif i.due_on < today:
            state = "overdue"
        elif paid[i.pk] > 0:
            state = "partly_paid"
        else:
            state = "due"
        states.append(InstalmentState(i, paid[i.pk], state))
    return states


def contract_summary(contract: Contract) -> dict:
    """Paid to date, remaining, the share paid, the first-payment percent and the overdue
    instalments of one contract."""
    payments = list(contract.payments.order_by("received_on", "id"))
    paid = sum((p.amount for p in payments), ZERO)
    states = instalment_states(contract, payments)
    return {
        "paid": paid,
        "remaining": contract.amount - paid,
        "paid_percent": percent(paid, contract.amount),
        "first_payment_percent": contract.first_payment_percent,
        "instalments": states,
        "overdue": [s for s in states if s.state == "overdue"],
        "payments": payments,
        "flagged": [p for p in payments if p.flagged],
    }


def deal_contracts(deal_ids) -> dict[int, Contract]:
    """The contract that closes each deal (the healthy-deal check reads it): of the
    contracts linked to a deal, a signed one before a draft or terminated one, then the
    latest signed. Instalments, payments (in date order) and the milestones still planned
    come prefetched: four queries for any number of deals."""
    contracts = (
        Contract.objects.filter(deal_id__in=list(deal_ids))
        .prefetch_related(
            "instalments",
            Prefetch("payments", queryset=Payment.objects.order_by("received_on", "id")),
            Prefetch(
                "deliveries",
                queryset=Delivery.objects.exclude(status=DeliveryStatus.CANCELLED).order_by(
                    "planned_week", "sequence", "id"
                ),
            ),
        )
        .order_by("deal_id", "id")
    )
    chosen: dict[int, Contract] = {}

    def rank(contract: Contract):
        return (contract.status in SIGNED_STATUSES, contract.signed_on or dt.date.min, contract.pk)

    for contract in contracts:
        current = chosen.get(contract.deal_id)
        if current is None or rank(contract) > rank(current):
            chosen[contract.deal_id] = contract
    return chosen
