"""The revenue kinds of the finance feed: contract, payment, invoice, delivery, order.

Every one is upserted the same way (:class:`Written`): find the row by its external id,
hand it (or None) to the revenue service that writes that model, and say whether
anything changed. A kind only declares its model, its writer and what it does to the
record's data first. The upsert runs inside the caller's transaction and opens none of
its own: the feed queues a new record's rows (``core.unitofwork``) without a savepoint,
and an ``atomic`` block that an error leaves would doom the whole batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.utils.translation import gettext as _

from salesops.revenue import billing, services
from salesops.revenue.models import Contract, Delivery, Invoice, Order, Payment

from .. import feed


def _status(created: bool, changed: list) -> str:
    if created:
        return "created"
    return "updated" if changed else "unchanged"


@dataclass(frozen=True)
class Written:
    """How a revenue kind is written. ``write`` is the model's write service:
    ``write(actor=…, <model name>=stored row or None, fresh=True, **fields)`` returns
    ``(row, changed field names)``; ``prepare`` steps turn the record's data into the
    service's fields, in order."""

    model: type
    write: Callable
    prepare: tuple[Callable[[dict], None], ...] = ()

    def upsert(self, *, actor, external_id: str, data: dict, source: str):
        existing = feed.existing(self.model, external_id)
        fields = dict(data)
        for step in self.prepare:
            step(fields)
        fields.update(external_id=external_id, source=source)
        stored = {self.model._meta.model_name: existing}
        row, changed = self.write(actor=actor, fresh=True, **stored, **fields)
        return row, _status(existing is None, changed)


def _contract_account(data: dict) -> None:
    """Records under a contract may name the account too; it must be the contract's."""
    account = data.pop("account", None)
    contract = data.get("contract")
    if account is not None and contract is not None and contract.account_id != account.pk:
        raise ValidationError(
            {"account": _("Contract %(number)s belongs to another account.") % {"number": contract}}
        )


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
    services.lock_contracts(contracts.keys())


def _numbers(model):
    """A kind's read-ahead: which of the batch's numbers are taken already."""

    def prefetch(datas: list[dict], refs) -> None:
        services.prime_numbers(model, [d.get("number") for d in datas])

    return prefetch


def _kind(key, written: Written, label, **options) -> None:
    feed.register(key, written.upsert, model=written.model, label=label, **options)


def register() -> None:
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
    under_contract = (_contract_account,)
    _kind(
        "contract",
        Written(Contract, services.contract_write),
        _("Contract"),
        prefetch=_numbers(Contract),
    )
    _kind(
        "payment",
        Written(Payment, billing.payment_write, (_contract_account, _instalment)),
        _("Payment"),
        prefetch=_payments_read_ahead,
        warnings=payment_warnings,
    )
    _kind(
        "invoice",
        Written(Invoice, billing.invoice_write, under_contract),
        _("Invoice"),
        prefetch=_numbers(Invoice),
    )
    _kind(
        "delivery",
        Written(Delivery, services.delivery_write, under_contract),
        _("Delivery milestone"),
    )
    _kind(
        "order",
        Written(Order, billing.order_write, under_contract),
        _("Order"),
        prefetch=_numbers(Order),
    )
