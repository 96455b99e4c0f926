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
    # The plan was read with the batch's contracts (on_prefetch); .all() uses that.
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


def _read_ahead(contracts) -> None:
    """For the contracts a batch names: their plans and paid totals, one query each, and
    (PostgreSQL) their row locks, taken together in the order of their ids."""
    prefetch_related_objects(contracts, "instalments")
    billing.prime_paid_totals(contracts)
    if connection.features.has_select_for_update:
        ids = sorted({c.pk for c in contracts})
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            locked = Contract.objects.select_for_update().filter(pk__in=chunk).order_by("pk")
            for pk in locked.values_list("pk", flat=True):
                entities.batch_memo(("revenue.locked", pk), lambda: True)


def _numbers(model):
    """A kind's read-ahead: which of the batch's numbers are taken already."""

    def prefetch(datas: list[dict]) -> None:
        services.prime_numbers(model, [d.get("number") for d in datas])

    return prefetch


def register_all() -> None:
    from salesops.integrations import feed

    for key, field in (("contract_external_id", "external_id"), ("contract_number", "number")):
        feed.register_reference(
            key, target="contract", model=Contract, field=field, on_prefetch=_read_ahead
        )
    feed.register(
        "contract",
        contract_upsert,
        model=Contract,
        label=_("Contract"),
        prefetch=_numbers(Contract),
    )
    feed.register("payment", payment_upsert, model=Payment, label=_("Payment"))
    feed.register(
        "invoice", invoice_upsert, model=Invoice, label=_("Invoice"), prefetch=_numbers(Invoice)
    )
    feed.register("delivery", delivery_upsert, model=Delivery, label=_("Delivery milestone"))
    feed.register("order", order_upsert, model=Order, label=_("Order"), prefetch=_numbers(Order))
