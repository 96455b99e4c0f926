"""What the revenue importers (:mod:`.revenue`) share: who imports as the finance feed,
how a row finds its contract and the record it updates, the payment-plan column and the
week cells."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from salesops.org.models import Role
from salesops.revenue import policy, selectors
from salesops.revenue.models import Contract
from salesops.revenue.weeks import WEEK_RE, week_of

from .. import values as cells
from ..registry import Outcome, find_user

PLAN_SPLIT = re.compile(r"[;；\n]+")
PLAN_PART = re.compile(r"\s*[:：@]\s*")


def feed_user(user) -> bool:
    """Admins and finance: the people the finance feed accepts (``feed.can_use_feed``),
    who import revenue records as the feed writes them."""
    return bool(
        user and user.is_active and (user.is_superuser or user.role in (Role.ADMIN, Role.FINANCE))
    )


def unchanged(record) -> Outcome:
    return Outcome(
        "unchanged",
        object_id=record.pk,
        message=_("Same as the stored record; nothing to change."),
    )


def written(created: bool, record, changed) -> Outcome:
    if created:
        return Outcome("create", object_id=record.pk)
    return Outcome("update", object_id=record.pk) if changed else unchanged(record)


def by_external_id(model, values: dict, ctx):
    """The record this row's key wrote before, else the one with the row's external id."""
    if ctx.existing_id:
        found = model.objects.filter(pk=ctx.existing_id).first()
        if found is not None:
            return found
    external_id = (values.get("external_id") or "").strip()
    if external_id:
        return model.objects.filter(external_id=external_id).first()
    return None


def find_contract(text, ctx, field="contract"):
    """The contract a cell names (number or external id) among those the user sees."""
    if not text:
        return None
    text = str(text).strip()
    cache = ctx.memo("contracts", dict)
    if text not in cache:
        visible = Contract.objects.visible_to(ctx.actor).select_related("account")
        cache[text] = (
            visible.filter(number=text).first() or visible.filter(external_id=text).first()
        )
    if cache[text] is None:
        raise ValidationError(
            {
                field: _(
                    "No contract you can see has the number “%(number)s”; import the "
                    "contract first or check the number."
                )
                % {"number": text}
            }
        )
    return cache[text]


def user_cell(values: dict, key: str, ctx):
    try:
        return find_user(values.get(key), ctx)
    except ValueError as exc:
        raise ValidationError({key: str(exc)}) from None


def nested_errors(exc: ValidationError) -> ValidationError:
    """Nested service errors (``instalments.1.percent``, ``attachments.0.url``) under the
    row's column, the instalment or attachment named by its number."""
    if not hasattr(exc, "error_dict"):
        return exc
    formats = {
        "instalments": _("Instalment %(n)s: %(message)s"),
        "attachments": _("Attachment %(n)s: %(message)s"),
    }
    errors: dict = {}
    for key, messages in exc.message_dict.items():
        parts = key.split(".")
        if len(parts) > 1 and parts[0] in formats:
            number = int(parts[1]) + 1 if parts[1].isdigit() else ""
            messages = [formats[parts[0]] % {"n": number, "message": m} for m in messages]
            key = parts[0]
        errors.setdefault(key, []).extend(messages)
    return ValidationError(errors)


def parse_attachments(text) -> list[dict]:
    """``扫描件|https://…;附件二|https://…`` → ``[{"name", "url"}]``; an item without
    ``|`` is a name alone (a link alone is named by its file name)."""
    out = []
    for item in (p.strip() for p in PLAN_SPLIT.split(str(text)) if p.strip()):
        name, bar, url = item.partition("|")
        if not bar and item.lower().startswith(("http://", "https://")):
            name, url = item.rstrip("/").rsplit("/", 1)[-1] or item, item
        out.append({"name": name.strip(), "url": url.strip()})
    return out


def format_attachments(attachments) -> str:
    rows = attachments if isinstance(attachments, list) else []
    items = []
    for a in rows:
        if isinstance(a, dict):
            name, url = str(a.get("name", "")), str(a.get("url") or "")
            items.append(f"{name}|{url}" if url else name)
    return ";".join(items)


# --- the payment plan column -----------------------------------------------------------------


def parse_plan(text) -> list[dict]:
    """``2026-12-01:50%;2027-03-01:50%`` → instalments for ``services.contract_write``."""
    plan, problems = [], []
    for index, item in enumerate(p for p in PLAN_SPLIT.split(str(text)) if p.strip()):
        parts = PLAN_PART.split(item.strip(), maxsplit=2)
        if len(parts) < 2:
            problems.append(
                _("“%(item)s” is not “due date:percent” (like 2026-12-01:50%%).") % {"item": item}
            )
            continue
        try:
            due_on = cells.parse_date(None, parts[0])
        except ValueError as exc:
            problems.append(str(exc))
            continue
        try:
            percent = Decimal(parts[1].strip().rstrip("%％").strip())
        except InvalidOperation:
            problems.append(
                _("Instalment %(n)d: “%(value)s” is not a percentage.")
                % {"n": index + 1, "value": parts[1]}
            )
            continue
        row = {"due_on": due_on, "percent": percent}
        if len(parts) > 2 and parts[2].strip():
            row["note"] = parts[2].strip()
        plan.append(row)
    if problems:
        raise ValidationError({"instalments": problems})
    return plan


def format_plan(contract: Contract) -> str:
    parts = []
    for instalment in sorted(contract.instalments.all(), key=lambda i: i.sequence):
        part = f"{instalment.due_on.isoformat()}:{format(instalment.percent.normalize(), 'f')}%"
        parts.append(f"{part}:{instalment.note}" if instalment.note else part)
    return ";".join(parts)


def plan_differs(contract: Contract, plan: list[dict]) -> bool:
    stored = [
        (i.due_on, i.percent, i.note)
        for i in sorted(contract.instalments.all(), key=lambda i: i.sequence)
    ]
    return stored != [(r["due_on"], r["percent"], r.get("note", "")) for r in plan]


# --- payments and invoices -------------------------------------------------------------------


def may_bill(user) -> bool:
    return feed_user(user) or policy.may_record_money(user)


def billing_contract(data, ctx, existing):
    """The row's contract, when the user may record money on it (and on the stored
    record's contract, for a change)."""
    contract = find_contract(data.get("contract"), ctx)
    if feed_user(ctx.actor):
        return contract
    for target in (contract, existing.contract if existing is not None else None):
        if target is not None and not selectors.may_bill(user=ctx.actor, contract=target):
            raise ValidationError({"contract": policy.billing_refusal()})
    return contract


def refuse_hidden(model, record, ctx, field: str, what) -> None:
    if record is not None and not model.objects.visible_to(ctx.actor).filter(pk=record.pk).exists():
        raise ValidationError(
            {field: _("%(what)s belongs to an account outside your team.") % {"what": what}}
        )


# --- delivery milestones ---------------------------------------------------------------------


def parse_week_cell(text, field: str) -> str:
    """An ISO week (2026-W49, 2026-w49) or a day in it (2026-12-01, 2026年12月1日)."""
    text = str(text).strip().upper()
    if WEEK_RE.match(text):
        return text
    try:
        return week_of(cells.parse_date(None, text.split("T")[0]))
    except ValueError:
        raise ValidationError(
            {
                field: _("“%(value)s” is not a week; write it like 2026-W49 or a day of that week.")
                % {"value": text}
            }
        ) from None
