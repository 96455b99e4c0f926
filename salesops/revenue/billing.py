"""Every write to payments (回款), invoices and orders.

A payment that takes a contract over its amount is, per the revenue policy's
``payment_over_contract`` (a settings page, ``policy.py``), either kept and flagged for a look (``"flag"``,
the default: the money did arrive, and finance must see it; the contract owner is told)
or refused (``"reject"``, a 422 naming ``amount``). Nothing is silently accepted.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from salesops.core import entities, events, unitofwork
from salesops.core.money import format_cny
from salesops.core.validators import merge_errors
from salesops.customization.services import changed_keys
from salesops.notifications import services as notifications

from .models import Contract, Invoice, InvoiceStatus, Order, Payment
from .policy import current
from .services import (
    actor_id,
    apply_data,
    changed_fields,
    clean_fields,
    custom_errors,
    lock_contract,
    not_in_future,
    number_taken,
    number_used,
    positive_amount,
    snapshot,
)

PAYMENT_FIELDS = (
    "contract",
    "instalment",
    "amount",
    "received_on",
    "method",
    "reference",
    "note",
    "external_id",
    "source",
)
INVOICE_FIELDS = (
    "number",
    "contract",
    "amount",
    "issued_on",
    "status",
    "note",
    "external_id",
    "source",
)
ORDER_FIELDS = (
    "number",
    "contract",
    "ordered_on",
    "amount",
    "status",
    "description",
    "external_id",
    "source",
)


def over_contract_mode() -> str:
    # Within a feed batch the policy is read once, not per payment.
    mode = entities.batch_memo(("revenue.policy",), current).payment_over_contract
    return mode if mode in ("flag", "reject") else "flag"


def _fresh(model, instance, fresh: bool):
    """The stored row, locked: a refused change must not leave the caller's copy edited,
    and two writers of one record take turns. ``fresh``: the caller (the feed) read and
    locked the row in this transaction and drops its copy if the write fails."""
    if fresh:
        return instance
    return model.objects.select_for_update().select_related("contract").get(pk=instance.pk)


def _require_contract(instance, errors: dict) -> Contract | None:
    if instance.contract_id is None:
        errors.setdefault("contract", []).append(_("This field is required."))
        return None
    instance.account_id = instance.contract.account_id
    return instance.contract


def _paid_holder(contract_id: int) -> list:
    """``[total paid]`` of a contract; within a feed batch remembered (and kept up to date
    by :func:`payment_write`), so a batch reads each contract's total once."""
    return entities.batch_memo(
        ("revenue.paid", contract_id),
        lambda: [
            Payment.objects.filter(contract_id=contract_id).aggregate(t=Sum("amount"))["t"]
            or Decimal("0")
        ],
    )


def prime_paid_totals(contracts) -> None:
    """Read the paid totals of the contracts a feed batch refers to in one query."""
    ids = [c.pk for c in contracts]
    totals = dict(
        Payment.objects.filter(contract_id__in=ids)
        .values("contract_id")
        .annotate(t=Sum("amount"))
        .values_list("contract_id", "t")
    )
    for pk in ids:
        entities.batch_memo(("revenue.paid", pk), lambda pk=pk: [totals.get(pk) or Decimal("0")])


def _paid_elsewhere(payment: Payment, before: dict) -> Decimal:
    """What the contract's other payments add up to (the stored amount of this one, if it
    is on the same contract, taken out of the total)."""
    total = _paid_holder(payment.contract_id)[0]
    if payment.pk and before.get("contract") == payment.contract_id:
        total -= before["amount"]
    return total


def _payment_checks(payment: Payment, contract: Contract | None, errors: dict) -> None:
    positive_amount(payment, "amount", errors)
    not_in_future(payment, "received_on", errors)
    if contract is None:
        return
    if (
        contract.signed_on
        and payment.received_on
        and "received_on" not in errors
        and payment.received_on < contract.signed_on
    ):
        errors["received_on"] = [
            _("Received before the contract was signed (%(day)s); check the date.")
            % {"day": contract.signed_on.isoformat()}
        ]
    if payment.instalment_id and payment.instalment.contract_id != contract.pk:
        errors["instalment"] = [_("This instalment belongs to another contract.")]


def _over_contract(payment: Payment, contract: Contract, errors: dict, before: dict) -> None:
    """Flag (or refuse) a payment that takes the contract over its amount. A payment that
    no longer does loses its flag."""
    if "amount" in errors:
        return
    remaining = contract.amount - _paid_elsewhere(payment, before)
    if payment.amount <= remaining:
        payment.flagged, payment.flag_reason = False, ""
        return
    reason = _(
        "%(amount)s is more than the %(remaining)s that remained on contract %(number)s "
        "(over by %(over)s)."
    ) % {
        "amount": format_cny(payment.amount),
        "remaining": format_cny(max(remaining, Decimal("0"))),
        "number": contract.number,
        "over": format_cny(payment.amount - max(remaining, Decimal("0"))),
    }
    if over_contract_mode() == "reject":
        errors["amount"] = [reason + " " + _("Check the amount, or the contract amount first.")]
    else:
        payment.flagged, payment.flag_reason = True, reason


def _notify_flagged(payment: Payment) -> None:
    contract = payment.contract
    notifications.notify(
        recipients=[contract.owner_id],
        kind="revenue.payment_flagged",
        title=_("Payment on %(number)s needs checking") % {"number": contract.number},
        body=payment.flag_reason,
        link=payment.get_absolute_url(),
        source="revenue",
    )


def payment_write(
    *,
    actor,
    payment: Payment | None = None,
    custom: dict | None = None,
    fresh: bool = False,
    **data,
) -> tuple[Payment, list[str]]:
    """Record (``payment`` None) or change a payment; returns it and what changed."""
    creating = payment is None
    payment = Payment(created_by=actor) if creating else _fresh(Payment, payment, fresh)
    before = {} if creating else snapshot(payment, (*PAYMENT_FIELDS, "flagged", "flag_reason"))
    before_custom = dict(payment.custom or {})
    errors = apply_data(payment, data, PAYMENT_FIELDS, decimals=("amount",))
    contract = _require_contract(payment, errors)
    if contract is not None:
        # One payment at a time per contract, so two arriving together cannot both fit
        # into the same remaining amount.
        lock_contract(contract)
    errors = merge_errors(errors, clean_fields(payment))
    _payment_checks(payment, contract, errors)
    if contract is not None:
        _over_contract(payment, contract, errors, before)
    errors = merge_errors(errors, custom_errors(payment, "payment", custom, partial=not creating))
    if errors:
        raise ValidationError(errors)
    if creating:
        changed = ["created"]
    else:
        changed = changed_fields(before, payment, (*PAYMENT_FIELDS, "flagged", "flag_reason"))
        changed += changed_keys(before_custom, payment.custom)
    if not changed:
        return payment, []
    # Keep a batch's remembered totals true: read them before the write, adjust after.
    old_total = None if creating else _paid_holder(before["contract"])
    new_total = _paid_holder(payment.contract_id)
    unitofwork.save_or_queue(payment, actor, "created" if creating else "updated")
    if old_total is not None:
        old_total[0] -= before["amount"]
    new_total[0] += payment.amount
    payload = {
        "id": payment.pk,
        "contract_id": payment.contract_id,
        "account_id": payment.account_id,
        "amount": str(payment.amount),
        "flagged": payment.flagged,
        "actor_id": actor_id(actor),
    }
    if creating:
        # "payment.received" is the creation event (no separate payment.created): the
        # feed sends thousands, and every event costs the automation engine a query.
        events.emit("payment.received", payload)
    else:
        events.emit("payment.updated", {**payload, "changed": changed})
    if payment.flagged and (creating or not before.get("flagged")):
        transaction.on_commit(lambda: _notify_flagged(payment))
    return payment, changed


@transaction.atomic
def payment_record(*, actor, **data) -> Payment:
    """Record money received against ``contract`` (optionally settling ``instalment``)."""
    return payment_write(actor=actor, **data)[0]


@transaction.atomic
def payment_update(*, actor, payment: Payment, **data) -> Payment:
    return payment_write(actor=actor, payment=payment, **data)[0]


def _invoice_checks(invoice: Invoice, errors: dict, before: dict) -> None:
    positive_amount(invoice, "amount", errors)
    not_in_future(invoice, "issued_on", errors)
    if invoice.number and "number" not in errors and invoice.number != before.get("number"):
        if number_taken(Invoice, invoice.number, invoice.pk):
            errors["number"] = [
                _("Invoice number %(number)s is already recorded.") % {"number": invoice.number}
            ]


def invoice_write(
    *,
    actor,
    invoice: Invoice | None = None,
    custom: dict | None = None,
    fresh: bool = False,
    **data,
) -> tuple[Invoice, list[str]]:
    creating = invoice is None
    invoice = Invoice(created_by=actor) if creating else _fresh(Invoice, invoice, fresh)
    before = {} if creating else snapshot(invoice, INVOICE_FIELDS)
    before_custom = dict(invoice.custom or {})
    errors = apply_data(invoice, data, INVOICE_FIELDS, decimals=("amount",))
    _require_contract(invoice, errors)
    errors = merge_errors(errors, clean_fields(invoice))
    _invoice_checks(invoice, errors, before)
    errors = merge_errors(errors, custom_errors(invoice, "invoice", custom, partial=not creating))
    if errors:
        raise ValidationError(errors)
    if creating:
        changed = ["created"]
    else:
        changed = changed_fields(before, invoice, INVOICE_FIELDS)
        changed += changed_keys(before_custom, invoice.custom)
    if not changed:
        return invoice, []
    unitofwork.save_or_queue(invoice, actor, "created" if creating else "updated")
    number_used(Invoice, invoice, before)
    payload = {
        "id": invoice.pk,
        "contract_id": invoice.contract_id,
        "account_id": invoice.account_id,
        "amount": str(invoice.amount),
        "actor_id": actor_id(actor),
    }
    events.emit(
        "invoice.created" if creating else "invoice.updated", {**payload, "changed": changed}
    )
    if invoice.status == InvoiceStatus.ISSUED and before.get("status") != InvoiceStatus.ISSUED:
        events.emit("invoice.issued", payload)
    return invoice, changed


@transaction.atomic
def invoice_create(*, actor, **data) -> Invoice:
    return invoice_write(actor=actor, **data)[0]


@transaction.atomic
def invoice_update(*, actor, invoice: Invoice, **data) -> Invoice:
    return invoice_write(actor=actor, invoice=invoice, **data)[0]


def order_write(
    *,
    actor,
    order: Order | None = None,
    custom: dict | None = None,
    fresh: bool = False,
    **data,
) -> tuple[Order, list[str]]:
    creating = order is None
    order = Order(created_by=actor) if creating else _fresh(Order, order, fresh)
    before = {} if creating else snapshot(order, ORDER_FIELDS)
    errors = apply_data(order, data, ORDER_FIELDS, decimals=("amount",))
    _require_contract(order, errors)
    errors = merge_errors(errors, clean_fields(order))
    positive_amount(order, "amount", errors)
    not_in_future(order, "ordered_on", errors)
    if order.number and "number" not in errors and order.number != before.get("number"):
        if number_taken(Order, order.number, order.pk):
            errors["number"] = [
                _("Order number %(number)s is already recorded.") % {"number": order.number}
            ]
    errors = merge_errors(errors, custom_errors(order, "order", custom, partial=not creating))
    if errors:
        raise ValidationError(errors)
    changed = ["created"] if creating else changed_fields(before, order, ORDER_FIELDS)
    if not changed:
        return order, []
    unitofwork.save_or_queue(order, actor, "created" if creating else "updated")
    number_used(Order, order, before)
    events.emit(
        "order.created" if creating else "order.updated",
        {
            "id": order.pk,
            "account_id": order.account_id,
            "changed": changed,
            "actor_id": actor_id(actor),
        },
    )
    return order, changed


@transaction.atomic
def order_create(*, actor, **data) -> Order:
    return order_write(actor=actor, **data)[0]


@transaction.atomic
def order_update(*, actor, order: Order, **data) -> Order:
    return order_write(actor=actor, order=order, **data)[0]
