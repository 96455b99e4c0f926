"""Every write to contracts (with their payment plan and schedule) and delivery milestones.

Services take the acting user explicitly and set it on the history rows, so feed, shell
and worker writes are audited like web edits. Each call is one transaction; every bad
field is reported at once, keyed by the field (``instalments.1.percent``); events go out
after commit. An update that changes nothing writes nothing (no history row, no event):
the finance feed relies on that to make a re-sent record a no-op.

Payments, invoices and orders are in ``billing.py``.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from salesops.core import clock, entities, events, unitofwork
from salesops.core.money import CENT, format_cny
from salesops.core.validators import link_problem, merge_errors
from salesops.customization import services as custom_services
from salesops.pipeline.models import Deal, DealStatus

from .models import SIGNED_STATUSES, Contract, Delivery, DeliveryStatus, Instalment
from .weeks import parse_week

HUNDRED = Decimal("100")
CONTRACT_FIELDS = (
    "number",
    "account",
    "owner",
    "product_line",
    "amount",
    "signed_on",
    "start_on",
    "end_on",
    "term_months",
    "status",
    "clauses",
    "has_custom_service",
    "custom_service_annex",
    "attachments",
    "deal",
    "external_id",
    "source",
)
DELIVERY_FIELDS = (
    "contract",
    "name",
    "sequence",
    "planned_week",
    "actual_week",
    "status",
    "note",
    "external_id",
    "source",
)


# --- shared helpers (billing.py uses them too) ----------------------------------------------


def as_decimal(value):
    """A JSON number arrives as a float; read it by its shortest decimal text (12.5 →
    Decimal("12.5")), never by its binary value, so 0.1 stays 0.1."""
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


def apply_data(instance, data: dict, allowed: tuple[str, ...], decimals=()) -> dict:
    """Set ``data`` on ``instance``; unknown keys are errors (a typo must not be dropped)."""
    errors = {}
    for key, value in data.items():
        if key not in allowed:
            errors[key] = [_("Unknown field.")]
            continue
        if isinstance(value, str):
            value = value.strip()
        if key in decimals:
            value = as_decimal(value)
        setattr(instance, key, value)
    return errors


def clean_fields(instance) -> dict:
    """Django's per-field validation (types, lengths, choices), converting text values
    (dates, amounts) to Python. Relations are resolved instances already, so their
    existence query is skipped."""
    relations = [f.name for f in instance._meta.concrete_fields if f.is_relation]
    try:
        instance.clean_fields(exclude=relations)
    except ValidationError as exc:
        return exc.message_dict
    return {}


def positive_amount(instance, field: str, errors: dict) -> None:
    if field in errors:
        return
    value = getattr(instance, field)
    if value is None:
        errors[field] = [_("This field is required.")]
    elif value <= 0:
        errors[field] = [
            _("Enter an amount greater than zero (found %(value)s).") % {"value": value}
        ]


def not_in_future(instance, field: str, errors: dict) -> None:
    value = getattr(instance, field)
    if field not in errors and isinstance(value, dt.date) and value > clock.today():
        errors[field] = [_("This date is in the future; enter the day it really happened.")]


def custom_errors(instance, entity: str, custom: dict | None, *, partial: bool) -> dict:
    """Validate and merge custom field values. Skipped when none are given and the entity
    has no custom fields (remembered per feed batch, so a batch asks once)."""
    if custom is None:
        if partial:
            return {}
        has_fields = entities.batch_memo(
            ("revenue.custom_defined", entity),
            lambda: bool(custom_services.definitions(entity, include_inactive=True)),
        )
        if not has_fields:
            return {}
    return custom_services.merge_custom(instance, entity, custom, partial=partial)


def changed_fields(before: dict, instance, names) -> list[str]:
    return [n for n in names if before.get(n) != getattr(instance, _attname(instance, n))]


def _attname(instance, name: str) -> str:
    field = instance._meta.get_field(name)
    return field.attname


def snapshot(instance, names) -> dict:
    return {n: getattr(instance, _attname(instance, n)) for n in names}


def _numbers_memo(model):
    return entities.batch_memo(("revenue.numbers", model), lambda: None)


def prime_numbers(model, numbers) -> None:
    """Within a feed batch: read once which of ``numbers`` other ``model`` rows already
    use, so each record's uniqueness check asks no query (:func:`number_taken`)."""
    asked = {str(n).strip() for n in numbers if isinstance(n, str | int) and str(n).strip()}
    taken = {}
    values = sorted(asked)
    for start in range(0, len(values), 500):
        chunk = values[start : start + 500]
        taken.update(model.objects.filter(number__in=chunk).values_list("number", "pk"))
    entities.batch_memo(("revenue.numbers", model), lambda: {"asked": asked, "taken": taken})


def number_taken(model, number: str, pk) -> bool:
    """Whether a ``model`` row other than ``pk`` has this ``number``."""
    memo = _numbers_memo(model)
    if memo is not None and number in memo["asked"]:
        holder = memo["taken"].get(number)
        return holder is not None and holder != pk
    return model.objects.filter(number=number).exclude(pk=pk).exists()


def number_used(model, instance, before: dict) -> None:
    """After a write: keep a batch's remembered numbers true."""
    memo = _numbers_memo(model)
    if memo is None:
        return
    old = before.get("number")
    if old and memo["taken"].get(old) == instance.pk and old != instance.number:
        del memo["taken"][old]
    if instance.number:
        memo["taken"][instance.number] = instance.pk
        memo["asked"].add(instance.number)


def lock_contract(contract) -> None:
    """Take a contract's row lock for this transaction (PostgreSQL; SQLite has one writer),
    once per feed batch: its contracts were locked together when it read them."""
    if connection.features.has_select_for_update:
        entities.batch_memo(
            ("revenue.locked", contract.pk),
            lambda: Contract.objects.select_for_update().filter(pk=contract.pk).exists() or True,
        )


def lock_contracts(contract_ids) -> None:
    """A feed batch's read-ahead: take its contracts' row locks together, in the order of
    their ids (PostgreSQL), so :func:`lock_contract` asks no query for them."""
    if not connection.features.has_select_for_update:
        return
    ids = sorted(contract_ids)
    for start in range(0, len(ids), 500):
        locked = Contract.objects.select_for_update().filter(pk__in=ids[start : start + 500])
        for pk in locked.order_by("pk").values_list("pk", flat=True):
            entities.batch_memo(("revenue.locked", pk), lambda: True)


def actor_id(actor):
    return getattr(actor, "pk", None)


# --- the payment plan -----------------------------------------------------------------------


def plan_amounts(amount: Decimal, percents: list[Decimal]) -> list[Decimal]:
    """Each instalment's amount: ``amount × percent / 100`` rounded half-up to the cent,
    except the last, which takes what is left, so the plan adds up to the contract amount
    exactly (3 × 33.33 % of ¥100.00 → 33.33, 33.33, 33.34)."""
    if not percents:
        return []
    amounts = [(amount * p / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP) for p in percents]
    amounts[-1] = amount - sum(amounts[:-1], Decimal("0"))
    return amounts


def _parse_instalments(raw, signed_on) -> tuple[list[dict], dict]:
    """Read a plan ``[{"due_on", "percent", "note"?, "sequence"?}, …]``: every row checked,
    percentages adding up to 100, due dates in order."""
    errors: dict[str, list] = {}
    if not isinstance(raw, list | tuple):
        return [], {"instalments": [_("Send the payment plan as a list of instalments.")]}
    rows = []
    for index, item in enumerate(raw):
        key = f"instalments.{index}"
        if hasattr(item, "dict"):
            item = item.dict()
        if not isinstance(item, dict):
            errors[key] = [_("Each instalment needs due_on and percent.")]
            continue
        unknown = set(item) - {"due_on", "percent", "note", "sequence"}
        for name in sorted(unknown):
            errors[f"{key}.{name}"] = [_("Unknown field.")]
        due_on = item.get("due_on")
        if isinstance(due_on, str):
            due_on = parse_date(due_on.strip()) if due_on.strip() else None
        if not isinstance(due_on, dt.date):
            errors[f"{key}.due_on"] = [_("Enter the due date as YYYY-MM-DD.")]
        try:
            percent = Decimal(str(as_decimal(item.get("percent"))))
            if not percent.is_finite():
                raise InvalidOperation
        except (InvalidOperation, TypeError, ValueError):
            percent = None
            errors[f"{key}.percent"] = [_("Enter the percentage as a number, e.g. 30.")]
        if percent is not None and not (0 < percent <= HUNDRED):
            errors[f"{key}.percent"] = [_("A percentage is more than 0 and at most 100.")]
        elif percent is not None and percent != percent.quantize(CENT):
            errors[f"{key}.percent"] = [_("Use at most two decimal places.")]
        rows.append(
            {
                "sequence": index + 1,
                "due_on": due_on,
                "percent": percent,
                "note": str(item.get("note") or "").strip()[:200],
            }
        )
    if errors:
        return rows, errors
    if rows:
        total = sum((r["percent"] for r in rows), Decimal("0"))
        if total != HUNDRED:
            errors["instalments"] = [
                _("The instalments add up to %(total)s %%; they must add up to 100 %%.")
                % {"total": format(total.normalize(), "f")}
            ]
        for index, (before, after) in enumerate(zip(rows, rows[1:], strict=False), start=1):
            if after["due_on"] < before["due_on"]:
                errors[f"instalments.{index}.due_on"] = [
                    _("Due before the previous instalment (%(day)s); list them in date order.")
                    % {"day": before["due_on"].isoformat()}
                ]
        if signed_on and rows[0]["due_on"] < signed_on:
            errors["instalments.0.due_on"] = [
                _("Due before the contract was signed (%(day)s).") % {"day": signed_on.isoformat()}
            ]
    return rows, errors


def _write_plan(contract: Contract, rows: list[dict] | None, actor, *, new: bool = False) -> bool:
    """Make the stored plan match ``rows`` (None: keep the plan, re-derive its amounts).
    Instalments are matched by number, so payments that settle one keep their link.
    Returns whether anything was written."""
    current = {} if new else {i.sequence: i for i in contract.instalments.all()}
    if rows is None:
        rows = [
            {"sequence": i.sequence, "due_on": i.due_on, "percent": i.percent, "note": i.note}
            for i in sorted(current.values(), key=lambda i: i.sequence)
        ]
    amounts = plan_amounts(contract.amount, [r["percent"] for r in rows])
    wrote = False
    for row, amount in zip(rows, amounts, strict=True):
        existing = current.pop(row["sequence"], None)
        values = {**row, "amount": amount}
        if existing is not None and all(getattr(existing, k) == v for k, v in values.items()):
            continue
        instalment = existing or Instalment(contract=contract)
        for key, value in values.items():
            setattr(instalment, key, value)
        unitofwork.save_or_queue(instalment, actor, "updated" if existing else "created")
        wrote = True
    for extra in current.values():
        extra._history_user = actor
        extra.delete()
        wrote = True
    return wrote


# --- contracts ------------------------------------------------------------------------------


def _contract_checks(contract: Contract, errors: dict, before: dict) -> None:
    positive_amount(contract, "amount", errors)
    if contract.start_on and contract.end_on and "end_on" not in errors:
        if contract.end_on < contract.start_on:
            errors["end_on"] = [
                _("Ends before it starts (%(day)s); check the two dates.")
                % {"day": contract.start_on.isoformat()}
            ]
    if contract.is_signed and not contract.signed_on and "signed_on" not in errors:
        errors["signed_on"] = [_("A signed contract needs the day it was signed.")]
    not_in_future(contract, "signed_on", errors)
    if contract.has_custom_service and not contract.custom_service_annex:
        errors["custom_service_annex"] = [
            _("The contract has customised-service clauses; describe them in the annex.")
        ]
    if not isinstance(contract.attachments, list) or any(
        not isinstance(a, dict) or not str(a.get("name", "")).strip() for a in contract.attachments
    ):
        errors["attachments"] = [_("Send attachments as a list of {“name”, “url”}.")]
    else:
        for index, attachment in enumerate(contract.attachments):
            problem = link_problem(attachment.get("url"))
            if problem:
                errors[f"attachments.{index}.url"] = [problem]
    if "number" not in errors and contract.number and contract.number != before.get("number"):
        if number_taken(Contract, contract.number, contract.pk):
            errors["number"] = [
                _("Contract number %(number)s is already used; each contract has its own.")
                % {"number": contract.number}
            ]
    if contract.account_id is None:
        errors.setdefault("account", []).append(_("This field is required."))
    elif contract.deal_id is not None and "deal" not in errors:
        problem = deal_link_problem(contract.deal, contract.account)
        if problem:
            errors["deal"] = [problem]


def deal_link_problem(deal: Deal, account) -> str | None:
    """Why ``deal`` cannot be the deal a contract of ``account`` closes (None: it can):
    it must be a deal of the same account, and not a lost one."""
    if deal.account_id != account.pk:
        return _(
            "Deal “%(deal)s” belongs to another account (%(other)s); pick a deal of "
            "%(account)s, this contract's account."
        ) % {"deal": deal.name, "other": deal.account.name, "account": account.name}
    if deal.status == DealStatus.LOST:
        return _("Deal “%(deal)s” was lost; pick an open or won deal.") % {"deal": deal.name}
    return None


def _parse_milestones(raw) -> tuple[list[dict], dict]:
    if not isinstance(raw, list | tuple):
        return [], {"milestones": [_("Send the schedule as a list of milestones.")]}
    rows, errors = [], {}
    for index, item in enumerate(raw):
        if hasattr(item, "dict"):
            item = item.dict()
        if not isinstance(item, dict):
            errors[f"milestones.{index}"] = [_("Each milestone needs a name and planned_week.")]
            continue
        row = {k: v for k, v in item.items() if v is not None}
        row.setdefault("sequence", index + 1)
        rows.append(row)
    return rows, errors


def _delivery_checks(delivery: Delivery, errors: dict) -> None:
    if not delivery.name and "name" not in errors:
        errors["name"] = [_("This field is required.")]
    for field in ("planned_week", "actual_week"):
        value = getattr(delivery, field)
        if field in errors or not value:
            continue
        try:
            parse_week(value)
        except ValidationError as exc:
            errors[field] = exc.messages
    if delivery.status == DeliveryStatus.DONE and not delivery.actual_week:
        errors.setdefault("actual_week", []).append(
            _("A finished milestone needs the week it was done (e.g. 2026-W49).")
        )


def _contract_payload(contract: Contract, actor) -> dict:
    return {
        "id": contract.pk,
        "account_id": contract.account_id,
        "owner_id": contract.owner_id,
        "deal_id": contract.deal_id,
        "amount": str(contract.amount),
        "actor_id": actor_id(actor),
    }


def contract_write(
    *,
    actor,
    contract: Contract | None = None,
    instalments=None,
    milestones=None,
    custom: dict | None = None,
    fresh: bool = False,
    **data,
) -> tuple[Contract, list[str]]:
    """Create (``contract`` None) or change a contract; returns it and the names of what
    changed (empty: nothing was written). Call within a transaction."""
    creating = contract is None
    if creating:
        contract = Contract(created_by=actor)
        if "owner" not in data and data.get("account") is not None:
            data["owner"] = data["account"].owner
    elif not fresh:  # see billing._fresh
        contract = Contract.objects.select_for_update().get(pk=contract.pk)
    before = snapshot(contract, CONTRACT_FIELDS)
    before_custom = dict(contract.custom or {})
    errors = apply_data(contract, data, CONTRACT_FIELDS, decimals=("amount",))
    errors = merge_errors(errors, clean_fields(contract))
    _contract_checks(contract, errors, before)
    errors = merge_errors(errors, custom_errors(contract, "contract", custom, partial=not creating))
    plan = None
    if instalments is not None:
        plan, plan_errors = _parse_instalments(instalments, contract.signed_on)
        errors = merge_errors(errors, plan_errors)
    schedule = None
    if milestones is not None:
        schedule, schedule_errors = _parse_milestones(milestones)
        errors = merge_errors(errors, schedule_errors)
    if errors:
        raise ValidationError(errors)
    changed = ["*"] if creating else changed_fields(before, contract, CONTRACT_FIELDS)
    changed += custom_services.changed_keys(before_custom, contract.custom) if not creating else []
    if changed:
        unitofwork.save_or_queue(contract, actor, "created" if creating else "updated")
        number_used(Contract, contract, before)
    if plan is not None or (not creating and "amount" in changed):
        if _write_plan(contract, plan, actor, new=creating):
            changed.append("instalments")
    if schedule:
        if _write_schedule(contract, schedule, actor, new=creating):
            changed.append("milestones")
    if not changed:
        return contract, []
    payload = _contract_payload(contract, actor)
    if creating:
        events.emit("contract.created", payload)
    else:
        events.emit("contract.updated", {**payload, "changed": changed})
    was_signed = before.get("status") in SIGNED_STATUSES
    if contract.is_signed and (creating or not was_signed):
        events.emit("contract.signed", payload)
    return contract, (["created"] if creating else changed)


def _write_schedule(contract: Contract, rows: list[dict], actor, *, new: bool = False) -> bool:
    """Milestones nested in a contract, matched by their order number (``sequence``)."""
    existing = {} if new else {d.sequence: d for d in contract.deliveries.all()}
    wrote = False
    errors = {}
    for index, row in enumerate(rows):
        try:
            _delivery, changed = delivery_write(
                actor=actor,
                delivery=existing.get(row["sequence"]),
                **{"contract": contract, **row},
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors[f"milestones.{index}.{field}"] = messages
            continue
        wrote = wrote or bool(changed)
    if errors:
        raise ValidationError(errors)
    return wrote


@transaction.atomic
def contract_create(*, actor, **data) -> Contract:
    """Create a contract with its plan (``instalments``) and schedule (``milestones``).
    The owner defaults to the account's owner."""
    return contract_write(actor=actor, **data)[0]


@transaction.atomic
def contract_update(*, actor, contract: Contract, **data) -> Contract:
    """Change a contract; ``instalments`` given replaces the plan (matched by number),
    a new amount re-derives the instalment amounts."""
    return contract_write(actor=actor, contract=contract, **data)[0]


@transaction.atomic
def contract_link_deal(*, actor, contract: Contract, deal: Deal | None) -> Contract:
    """Say which deal the contract closes (None: none). Its clauses, first payment and
    milestones then feed that deal's healthy-deal check (``contract.updated`` names
    ``deal`` in ``changed``)."""
    return contract_write(actor=actor, contract=contract, deal=deal)[0]


# --- delivery milestones --------------------------------------------------------------------


def delivery_write(
    *, actor, delivery: Delivery | None = None, fresh: bool = False, **data
) -> tuple[Delivery, list]:
    """Create or change a milestone; returns it and what changed. Within a transaction."""
    creating = delivery is None
    # Work on a fresh copy: a refused change must not leave the caller's instance edited.
    if creating:
        delivery = Delivery(created_by=actor)
    elif not fresh:  # see billing._fresh
        delivery = (
            Delivery.objects.select_for_update().select_related("contract").get(pk=delivery.pk)
        )
    before = snapshot(delivery, DELIVERY_FIELDS) if not creating else {}
    errors = apply_data(delivery, data, DELIVERY_FIELDS)
    if delivery.contract_id is None:
        errors["contract"] = [_("This field is required.")]
    else:
        delivery.account_id = delivery.contract.account_id
    errors = merge_errors(errors, clean_fields(delivery))
    _delivery_checks(delivery, errors)
    if errors:
        raise ValidationError(errors)
    changed = ["created"] if creating else changed_fields(before, delivery, DELIVERY_FIELDS)
    if not changed:
        return delivery, []
    unitofwork.save_or_queue(delivery, actor, "created" if creating else "updated")
    payload = {
        "id": delivery.pk,
        "contract_id": delivery.contract_id,
        "account_id": delivery.account_id,
        "actor_id": actor_id(actor),
    }
    events.emit(
        "delivery.created" if creating else "delivery.updated", {**payload, "changed": changed}
    )
    if delivery.status == DeliveryStatus.DONE and before.get("status") != DeliveryStatus.DONE:
        events.emit("delivery.completed", payload)
    return delivery, changed


@transaction.atomic
def delivery_create(*, actor, **data) -> Delivery:
    return delivery_write(actor=actor, **data)[0]


@transaction.atomic
def delivery_update(*, actor, delivery: Delivery, **data) -> Delivery:
    return delivery_write(actor=actor, delivery=delivery, **data)[0]


def remaining_message(remaining: Decimal) -> str:
    return _("%(amount)s remains to be paid on this contract.") % {"amount": format_cny(remaining)}
