"""The revenue kinds of the finance feed: contract, payment, invoice, delivery, order.

Each upsert follows ``salesops.integrations.feed``'s contract: find the record by its
external id, create or change it through the services, and say whether anything changed.
It runs inside the caller's transaction and opens none of its own: the feed queues a new
record's rows (``core.unitofwork``) without a savepoint, and an ``atomic`` block that an
error leaves would doom the whole batch.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import prefetch_related_objects
from django.utils.translation import gettext as _

from salesops.core import entities

from . import billing, services
from .models import Contract, Delivery, Invoice, Order, Payment


def _status(created: bool, changed: list) -> str:
    if created:
        return "created"
    return "updated" if changed else "unchanged"


def _contract_account(data: dict) -> None:
    """Records under a contract may name the account too; it must be the contract's."""
    account = data.pop("account", None)
    contract = data.get("contract")
    if account is not None and contract is not None and contract.account_id != account.pk:
        raise ValidationError(
            {"account": _("Contract %(number)s belongs to another account.") % {"number": contract}}
        )


def contract_upsert(*, actor, external_id: str, data: dict, source: str):
    from salesops.integrations import feed

    existing = feed.existing(Contract, external_id)
    fields = dict(data)
    fields.update(external_id=external_id, source=source)
    contract, changed = services.contract_write(
        actor=actor, contract=existing, fresh=True, **fields
    )
    return contract, _status(existing is None, changed)


def _instalment(data: dict) -> None:
    """``instalment_sequence`` (the instalment's number in the plan) → the instalment."""
    if "instalment_sequence" not in data:
        return
    sequence = data.pop("instalment_sequence")
    contract = data.get("contract")
    if sequence in (None, "") or contract is None:
        data["instalment"] = None
        return
    # The plan was read with the batch's payments (_payments_read_ahead); .all() uses that.
    instalment = next(
        (i for i in contract.instalments.all() if str(i.sequence) == str(sequence)), None
    )
    if instalment is None:
        raise ValidationError(
            {
                "instalment_sequence": _("Contract %(number)s has no instalment %(n)s.")
                % {"number": contract, "n": sequence}
            }
        )
    data["instalment"] = instalment


def payment_upsert(*, actor, external_id: str, data: dict, source: str):
    from salesops.integrations import feed

    existing = feed.existing(Payment, external_id)
    fields = dict(data)
    _contract_account(fields)
    _instalment(fields)
    fields.update(external_id=external_id, source=source)
    payment, changed = billing.payment_write(actor=actor, payment=existing, fresh=True, **fields)
    return payment, _status(existing is None, changed)


def invoice_upsert(*, actor, external_id: str, data: dict, source: str):
    from salesops.integrations import feed

    existing = feed.existing(Invoice, external_id)
    fields = dict(data)
    _contract_account(fields)
    fields.update(external_id=external_id, source=source)
    invoice, changed = billing.invoice_write(actor=actor, invoice=existing, fresh=True, **fields)
    return invoice, _status(existing is None, changed)


def order_upsert(*, actor, external_id: str, data: dict, source: str):
    from salesops.integrations import feed

    existing = feed.existing(Order, external_id)
    fields = dict(data)
    _contract_account(fields)
    fields.update(external_id=external_id, source=source)
    order, changed = billing.order_write(actor=actor, order=existing, fresh=True, **fields)
    return order, _status(existing is None, changed)


def delivery_upsert(*, actor, external_id: str, data: dict, source: str):
    from salesops.integrations import feed

    existing = feed.existing(Delivery, external_id)
    fields = dict(data)
    _contract_account(fields)
    fields.update(external_id=external_id, source=source)
    delivery, changed = services.delivery_write(
        actor=actor, delivery=existing, fresh=True, **fields
    )
    return delivery, _status(existing is None, changed)


def payment_warnings(payment: Payment) -> list[dict]:
    """A payment kept but flagged (over its contract) says so in the feed's result."""
    if not payment.flagged:
        return []
    return [{"code": "over_contract", "field": "amount", "message": payment.flag_reason}]


CONTRACT_REFERENCES = ("contract_external_id", "contract_number")


def _payments_read_ahead(datas: list[dict], refs) -> None:
    """For the contracts a batch's payments name, one query each: their paid totals,
    (PostgreSQL) their row locks, taken together in the order of their ids, and the plans
    of those whose payments settle an instalment by number."""
    contracts, settling = {}, {}
    for data in datas:
        for key in CONTRACT_REFERENCES:
            contract = refs(key, data.get(key))
            if contract is not None:
                contracts[contract.pk] = contract
                if data.get("instalment_sequence") not in (None, ""):
                    settling[contract.pk] = contract
                break
    if not contracts:
        return
    billing.prime_paid_totals(list(contracts.values()))
    prefetch_related_objects(list(settling.values()), "instalments")
    if connection.features.has_select_for_update:
        ids = sorted(contracts)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            locked = Contract.objects.select_for_update().filter(pk__in=chunk).order_by("pk")
            for pk in locked.values_list("pk", flat=True):
                entities.batch_memo(("revenue.locked", pk), lambda: True)


def _numbers(model):
    """A kind's read-ahead: which of the batch's numbers are taken already."""

    def prefetch(datas: list[dict], refs) -> None:
        services.prime_numbers(model, [d.get("number") for d in datas])

    return prefetch


def register_all() -> None:
    from salesops.integrations import feed

    for key, field in zip(CONTRACT_REFERENCES, ("external_id", "number"), strict=True):
        feed.register_reference(
            key,
            target="contract",
            model=Contract,
            field=field,
            # What a payment, invoice or milestone reads of its contract.
            only=(
                "number",
                "external_id",
                "account_id",
                "owner_id",
                "amount",
                "signed_on",
                "status",
            ),
        )
    feed.register(
        "contract",
        contract_upsert,
        model=Contract,
        label=_("Contract"),
        prefetch=_numbers(Contract),
    )
    feed.register(
        "payment",
        payment_upsert,
        model=Payment,
        label=_("Payment"),
        prefetch=_payments_read_ahead,
        warnings=payment_warnings,
    )
    feed.register(
        "invoice", invoice_upsert, model=Invoice, label=_("Invoice"), prefetch=_numbers(Invoice)
    )
    feed.register("delivery", delivery_upsert, model=Delivery, label=_("Delivery milestone"))
    feed.register("order", order_upsert, model=Order, label=_("Order"), prefetch=_numbers(Order))
