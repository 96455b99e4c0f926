"""Replaying the offline outbox (SPEC X6) and resolving the conflicts it left.

Every item is keyed by the device's UUID (``SyncItem``, unique per user): the same UUID
again answers "replayed" with the first answer and writes nothing, so an outbox sent
twice — a lost answer, two tabs, a flaky lift — never makes a duplicate. Items are
applied in the order sent, each in its own transaction: a refused or invalid item leaves
nothing behind and does not hold back the ones after it."""

from __future__ import annotations

import datetime as dt
import uuid as uuidlib

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from salesops.core import clock, history
from salesops.core.api_errors import django_errors
from salesops.core.policies import save_bounded
from salesops.leads import services as lead_services
from salesops.leads.models import Lead

from .handlers import HANDLERS, Outcome
from .models import (
    POLICY_LIMITS,
    ConflictChoice,
    ConflictStatus,
    FieldPolicy,
    SyncConflict,
    SyncItem,
    SyncKind,
    SyncStatus,
)

HISTORY_SOURCE = "offline sync"
# How many items one database transaction carries (an engineering figure about how long
# the write lock is held, not business policy).
ITEMS_PER_TRANSACTION = 25


def _check_item(raw) -> tuple[uuidlib.UUID, str, dict, dt.datetime | None]:
    if not isinstance(raw, dict):
        raise ValidationError({"item": [_("Send each item as an object.")]})
    errors: dict[str, list] = {}
    try:
        client_uuid = uuidlib.UUID(str(raw.get("uuid") or ""))
    except ValueError:
        client_uuid = None
        errors["uuid"] = [_("Send the item's UUID as generated on the device.")]
    kind = raw.get("kind")
    if kind not in SyncKind.values:
        errors["kind"] = [
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(SyncKind.values)}
        ]
    payload = raw.get("payload")
    if not isinstance(payload, dict):
        errors["payload"] = [_("Send the item's data as an object.")]
    created = raw.get("created")
    created_at = None
    if created:
        created_at = parse_datetime(str(created)) if isinstance(created, str) else None
        if created_at is None:
            errors["created"] = [_("Send the time the item was made as ISO 8601.")]
    if errors:
        raise ValidationError(errors)
    return client_uuid, kind, payload, created_at


def _record(outcome: Outcome) -> dict | None:
    record = outcome.record
    if record is None:
        return None
    out = {"type": record._meta.model_name, "id": record.pk}
    if outcome.extra.get("visible", True) and hasattr(record, "get_absolute_url"):
        out["url"] = record.get_absolute_url()
    return out


def _answer(item: SyncItem, status: str | None = None) -> dict:
    body = {"uuid": str(item.client_uuid), "kind": item.kind, **item.answer}
    body["status"] = status or item.status
    if status == "replayed":
        body["first_status"] = item.status
    return body


def _run(actor, item: SyncItem) -> Outcome:
    handler = HANDLERS[item.kind]
    try:
        with transaction.atomic(), history.source(HISTORY_SOURCE):
            return handler(actor=actor, payload=item.payload, item=item)
    except PermissionDenied as exc:
        return Outcome(SyncStatus.REFUSED, str(exc) or _("You may not do this."))
    except ValidationError as exc:
        errors = django_errors(exc)
        return Outcome(
            SyncStatus.ERROR,
            "; ".join(
                f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors
            ),
            extra={"errors": errors},
        )


def sync_item(*, actor, raw: dict, known: dict | None = None) -> dict:
    """Apply one outbox item (or answer its earlier answer). Malformed items (no UUID,
    unknown kind) are answered "error" without being stored. ``known``: the batch's items
    already stored, by UUID (read in one query by :func:`sync_batch`)."""
    try:
        client_uuid, kind, payload, created_at = _check_item(raw)
    except ValidationError as exc:
        errors = django_errors(exc)
        uuid_text = str(raw.get("uuid", "")) if isinstance(raw, dict) else ""
        return {
            "uuid": uuid_text,
            "status": SyncStatus.ERROR.value,
            "message": "; ".join(f"{e['field']}: {e['message']}" for e in errors),
            "errors": errors,
        }
    if known is not None:
        earlier = known.get(client_uuid)
    else:
        earlier = SyncItem.objects.filter(user=actor, client_uuid=client_uuid).first()
    if earlier is not None:
        return _answer(earlier, "replayed")
    item = SyncItem(
        user=actor,
        client_uuid=client_uuid,
        kind=kind,
        payload=payload,
        created_on_client=created_at,
    )
    try:
        with transaction.atomic():
            outcome = _run(actor, item)
            record = _record(outcome)
            item.status = outcome.status
            item.answer = {"message": str(outcome.message), "record": record, **outcome.extra}
            if record is not None:
                item.record_type, item.record_id = record["type"], record["id"]
            item.received_at = clock.now()
            # The key row last, in the same transaction as the item's writes: a concurrent
            # copy of this item fails on its unique index (on PostgreSQL it waits there for
            # this one to commit), rolls all of its writes back and is answered "replayed".
            item.save(force_insert=True)
            if outcome.conflicts:
                for conflict in outcome.conflicts:
                    conflict.item = item
                SyncConflict.objects.bulk_create(outcome.conflicts)
    except IntegrityError:
        earlier = SyncItem.objects.filter(user=actor, client_uuid=client_uuid).first()
        if earlier is None:
            raise
        return _answer(earlier, "replayed")
    return _answer(item)


def sync_batch(*, actor, items) -> list[dict]:
    """Apply the outbox ``items`` in order; one answer per item, in the same order."""
    if actor.is_read_only_role:
        raise PermissionDenied(_("Your role cannot record field work."))
    if not isinstance(items, list):
        raise ValidationError({"items": [_("Send the outbox items as a list.")]})
    limit = FieldPolicy.current().max_batch
    if len(items) > limit:
        raise ValidationError(
            {"items": [_("At most %(n)d items per request; send the rest next.") % {"n": limit}]}
        )
    known = {
        item.client_uuid: item
        for item in SyncItem.objects.filter(user=actor, client_uuid__in=_uuids(items))
    }
    answers = []
    # Several items share one transaction (each still in its own savepoint: a bad item
    # rolls back alone), so a long outbox does not pay a commit per item; the group stays
    # small so the write lock (one writer at a time on SQLite) is never held for long.
    for start in range(0, len(items), ITEMS_PER_TRANSACTION):
        with transaction.atomic():
            for raw in items[start : start + ITEMS_PER_TRANSACTION]:
                answers.append(sync_item(actor=actor, raw=raw, known=known))
    return answers


def _uuids(items) -> list[uuidlib.UUID]:
    found = []
    for raw in items:
        try:
            found.append(uuidlib.UUID(str(raw.get("uuid") or "")))
        except (AttributeError, ValueError):
            continue
    return found


@transaction.atomic
def conflict_resolve(
    *, actor, conflict: SyncConflict, choice: str, value: str = ""
) -> SyncConflict:
    """Keep mine (the device's value), keep theirs (the server's current value) or an
    edited value; a chosen value other than the current one is applied through the
    lead's own service. The three values stay on the conflict."""
    conflict = SyncConflict.objects.select_for_update().get(pk=conflict.pk)
    if conflict.user_id != actor.pk:
        raise PermissionDenied(_("This conflict belongs to someone else."))
    if conflict.status != ConflictStatus.OPEN:
        raise ValidationError({"choice": [_("This conflict is already resolved.")]})
    if choice not in ConflictChoice.values:
        raise ValidationError(
            {
                "choice": [
                    _("Choose one of: %(choices)s.") % {"choices": ", ".join(ConflictChoice.values)}
                ]
            }
        )
    lead = Lead.objects.visible_to(actor).filter(pk=conflict.record_id).first()
    if lead is None:
        raise PermissionDenied(_("You may no longer see this lead."))
    current = "" if getattr(lead, conflict.field) is None else str(getattr(lead, conflict.field))
    if choice == ConflictChoice.MINE:
        chosen = conflict.client_value
    elif choice == ConflictChoice.THEIRS:
        chosen = current
    else:
        chosen = value if isinstance(value, str) else ""
    if chosen != current:
        with history.source(HISTORY_SOURCE):
            lead_services.lead_update(actor=actor, lead=lead, **{conflict.field: chosen})
        lead.refresh_from_db()
        chosen = "" if getattr(lead, conflict.field) is None else str(getattr(lead, conflict.field))
    conflict.status = ConflictStatus.RESOLVED
    conflict.chosen = choice
    conflict.chosen_value = chosen
    conflict.resolved_by = actor
    conflict.resolved_at = clock.now()
    conflict.save(update_fields=["status", "chosen", "chosen_value", "resolved_by", "resolved_at"])
    return conflict


def can_configure(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active) and (
        user.is_admin_role or user.edits_everything
    )


@transaction.atomic
def policy_save(*, actor, **data) -> FieldPolicy:
    """Settings · Offline field app: every bad value at once, by field; nothing saved."""
    if not can_configure(actor):
        raise PermissionDenied(_("Only a sales-ops admin or a director changes these settings."))
    return save_bounded(FieldPolicy, actor=actor, data=data, limits=POLICY_LIMITS)
