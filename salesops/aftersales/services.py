"""Every write to complaints, NPS responses, service tickets and renewals.

Each ``<kind>_create`` / ``<kind>_update`` validates every field at once (the error names
each bad field and how to fix it), writes in one transaction, records the acting user on
the history row explicitly (so imports and the feed are audited like web edits) and emits
its domain events after commit. ``<kind>_upsert`` is the finance/ERP feed's entry point:
keyed by the sender's ``external_id``, the same record sent twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from salesops.core import events, unitofwork
from salesops.customization import services as custom_services

from . import validation
from .models import (
    COMPLAINT_DONE,
    EXTERNAL_ID_MAX,
    SOURCE_MANUAL,
    Complaint,
    NpsResponse,
    Renewal,
    RenewalStatus,
    ServiceTicket,
)

FEED_FIELDS = ("external_id", "source")
COMPLAINT_FIELDS = (
    "account",
    "contact",
    "severity",
    "status",
    "summary",
    "details",
    "raised_on",
    "resolved_on",
    "owner",
    *FEED_FIELDS,
)
NPS_FIELDS = ("account", "contact", "score", "comment", "responded_on", "survey", *FEED_FIELDS)
TICKET_FIELDS = (
    "account",
    "contact",
    "subject",
    "details",
    "priority",
    "opened_at",
    "first_response_at",
    "resolved_at",
    *FEED_FIELDS,
)
RENEWAL_FIELDS = (
    "account",
    "contract_number",
    "due_on",
    "status",
    "amount",
    "closed_on",
    "lost_reason",
    *FEED_FIELDS,
)
CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


# --- events ----------------------------------------------------------------------------------


def _actor_id(actor):
    return getattr(actor, "pk", None)


def _events_complaint(c: Complaint, before: dict | None, changed, actor) -> None:
    was_done = before is not None and before["status"] in COMPLAINT_DONE
    if before is None:
        events.emit(
            "complaint.created",
            {
                "id": c.pk,
                "account_id": c.account_id,
                "severity": c.severity,
                "owner_id": c.owner_id,
                "actor_id": _actor_id(actor),
                "source": c.source,
            },
        )
    else:
        events.emit(
            "complaint.updated",
            # account_id: read models (LTV) recompute the account without a lookup.
            {
                "id": c.pk,
                "account_id": c.account_id,
                "changed": changed,
                "actor_id": _actor_id(actor),
            },
        )
    if c.status in COMPLAINT_DONE and not was_done:
        events.emit(
            "complaint.resolved",
            {
                "id": c.pk,
                "account_id": c.account_id,
                "severity": c.severity,
                "status": c.status,
                "actor_id": _actor_id(actor),
            },
        )


def _events_nps(n: NpsResponse, before: dict | None, changed, actor) -> None:
    if before is None:
        events.emit(
            "nps.received",
            {
                "id": n.pk,
                "account_id": n.account_id,
                "score": n.score,
                "category": n.category,
                "actor_id": _actor_id(actor),
                "source": n.source,
            },
        )
    else:
        events.emit(
            "nps.updated",
            {
                "id": n.pk,
                "account_id": n.account_id,
                "changed": changed,
                "actor_id": _actor_id(actor),
            },
        )


def _events_ticket(t: ServiceTicket, before: dict | None, changed, actor) -> None:
    if before is None:
        events.emit(
            "ticket.opened",
            {
                "id": t.pk,
                "account_id": t.account_id,
                "priority": t.priority,
                "actor_id": _actor_id(actor),
                "source": t.source,
            },
        )
    else:
        events.emit(
            "ticket.updated", {"id": t.pk, "changed": changed, "actor_id": _actor_id(actor)}
        )
    if t.resolved_at is not None and (before is None or before["resolved_at"] is None):
        events.emit(
            "ticket.resolved",
            {
                "id": t.pk,
                "account_id": t.account_id,
                "response_working_minutes": t.response_working_minutes,
                "resolution_working_minutes": t.resolution_working_minutes,
                "actor_id": _actor_id(actor),
            },
        )


def _events_renewal(r: Renewal, before: dict | None, changed, actor) -> None:
    if before is None:
        events.emit(
            "renewal.created",
            {
                "id": r.pk,
                "account_id": r.account_id,
                "due_on": r.due_on.isoformat(),
                "actor_id": _actor_id(actor),
                "source": r.source,
            },
        )
    else:
        events.emit(
            "renewal.updated",
            {
                "id": r.pk,
                "account_id": r.account_id,
                "changed": changed,
                "actor_id": _actor_id(actor),
            },
        )
    previous = before["status"] if before is not None else RenewalStatus.PENDING
    if r.status != RenewalStatus.PENDING and r.status != previous:
        events.emit(
            "renewal.closed",
            {
                "id": r.pk,
                "account_id": r.account_id,
                "status": r.status,
                # Text, not a float: the amount may feed a bonus (Decimal end to end).
                "amount": str(r.amount),
                "actor_id": _actor_id(actor),
            },
        )


@dataclass(frozen=True)
class Kind:
    """How one after-sales model is written: its fields, checks and events."""

    entity: str  # the entity key, also the custom-field entity ("ticket")
    model: type[models.Model]
    fields: tuple[str, ...]
    check: Callable[[Any, dict], None]
    emit: Callable[[Any, dict | None, list, Any], None]


KINDS = {
    "complaint": Kind(
        "complaint", Complaint, COMPLAINT_FIELDS, validation.check_complaint, _events_complaint
    ),
    "nps": Kind("nps", NpsResponse, NPS_FIELDS, validation.check_nps, _events_nps),
    "ticket": Kind("ticket", ServiceTicket, TICKET_FIELDS, validation.check_ticket, _events_ticket),
    "renewal": Kind("renewal", Renewal, RENEWAL_FIELDS, validation.check_renewal, _events_renewal),
}


# --- the one write path ----------------------------------------------------------------------


def _state(instance, kind: Kind) -> dict:
    """The values a change is measured on: the writable fields (foreign keys by id) and
    the custom values; derived and bookkeeping fields do not count."""
    state = {}
    for name in kind.fields:
        field = instance._meta.get_field(name)
        state[name] = getattr(instance, field.attname)
    state["custom"] = dict(instance.custom or {})
    return state


def _external_id_errors(instance, kind: Kind) -> dict:
    errors: dict[str, list] = {}
    if instance.external_id and len(instance.external_id) <= EXTERNAL_ID_MAX:
        taken = kind.model.objects.filter(external_id=instance.external_id)
        if taken.exclude(pk=instance.pk).exists():
            validation.add(
                errors,
                "external_id",
                _("Another record already has this external id; send each record's own id."),
            )
    return errors


def _validate(
    instance, kind: Kind, data: dict, custom: dict | None, *, partial: bool, required
) -> None:
    errors = validation.assign(instance, data, kind.fields)
    if custom is not None or not partial:
        errors = validation.merge(
            errors,
            custom_services.merge_custom(
                instance, kind.entity, custom, partial=partial, required=tuple(required)
            ),
        )
    errors = validation.merge(errors, custom_services.required_model_fields(instance, required))
    errors = validation.full_clean(instance, errors)
    kind.check(instance, errors)
    errors = validation.merge(errors, _external_id_errors(instance, kind))
    if errors:
        raise ValidationError(errors)


def _create(
    kind: Kind, *, actor, data: dict, custom: dict | None = None, required: Iterable[str] = ()
):
    instance = kind.model(created_by=actor if getattr(actor, "pk", None) else None)
    data = dict(data)
    if not data.get("source"):
        data["source"] = SOURCE_MANUAL
    if kind.model is Complaint and data.get("owner") is None and data.get("account") is not None:
        data["owner"] = data["account"].owner
    _validate(instance, kind, data, custom, partial=False, required=required)
    unitofwork.save_or_queue(instance, actor, "created")
    kind.emit(instance, None, [], actor)
    return instance


def _update(
    kind: Kind,
    *,
    actor,
    instance,
    data: dict,
    custom: dict | None = None,
    required: Iterable[str] = (),
):
    """Apply ``data`` (only the fields given); returns ``(instance, changed field names)``.
    Nothing is written, audited or emitted when nothing differs."""
    instance = (
        kind.model._default_manager.select_for_update()
        .select_related("account")
        .get(pk=instance.pk)
    )
    before = _state(instance, kind)
    data = dict(data)
    if "owner" in data and data["owner"] is None:
        del data["owner"]  # "no choice" keeps the handler; a complaint always has one
    _validate(instance, kind, data, custom, partial=True, required=required)
    after = _state(instance, kind)
    changed = [k for k in kind.fields if before[k] != after[k]]
    changed += custom_services.changed_keys(before["custom"], after["custom"])
    if changed:
        unitofwork.save_or_queue(instance, actor, "updated")
        kind.emit(instance, before, changed, actor)
    return instance, changed


def _upsert(kind: Kind, *, actor, external_id: str, data: dict, source: str):
    """Create or update the record the sender calls ``external_id``.

    ``data`` holds the record's fields as the sender has them (``account`` and ``contact``
    already resolved to instances, ``custom`` optional); fields left out keep their
    values. Returns ``(record, "created" | "updated" | "unchanged")``."""
    external_id = (external_id or "").strip() if isinstance(external_id, str) else external_id
    if not isinstance(external_id, str) or not external_id:
        raise ValidationError({"external_id": _("Send the record's id in the sending system.")})
    if len(external_id) > EXTERNAL_ID_MAX:
        raise ValidationError(
            {"external_id": _("At most %(n)d characters.") % {"n": EXTERNAL_ID_MAX}}
        )
    data = dict(data)
    custom = data.pop("custom", None)
    for key in FEED_FIELDS:
        data.pop(key, None)
    data.update({"external_id": external_id, "source": (source or "").strip() or "feed"})
    with transaction.atomic():
        existing = kind.model._default_manager.filter(external_id=external_id).first()
        if existing is None:
            try:
                with transaction.atomic():  # a savepoint: a concurrent insert may win
                    return _create(kind, actor=actor, data=data, custom=custom), CREATED
            except IntegrityError:
                existing = kind.model._default_manager.filter(external_id=external_id).first()
                if existing is None:
                    raise
        instance, changed = _update(kind, actor=actor, instance=existing, data=data, custom=custom)
        return instance, UPDATED if changed else UNCHANGED


# --- the public services ---------------------------------------------------------------------


@transaction.atomic
def complaint_create(
    *, actor, custom: dict | None = None, required_fields: Iterable[str] = (), **data
) -> Complaint:
    """Record a complaint; the handler defaults to the account's owner."""
    return _create(
        KINDS["complaint"], actor=actor, data=data, custom=custom, required=required_fields
    )


@transaction.atomic
def complaint_update(
    *,
    actor,
    complaint: Complaint,
    custom: dict | None = None,
    required_fields: Iterable[str] = (),
    **data,
) -> Complaint:
    """Change a complaint; moving it to resolved or closed stamps today as resolved date
    unless one is given, and emits ``complaint.resolved``."""
    kind = KINDS["complaint"]
    return _update(
        kind, actor=actor, instance=complaint, data=data, custom=custom, required=required_fields
    )[0]


def complaint_upsert(*, actor, external_id: str, data: dict, source: str):
    return _upsert(
        KINDS["complaint"], actor=actor, external_id=external_id, data=data, source=source
    )


@transaction.atomic
def nps_create(
    *, actor, custom: dict | None = None, required_fields: Iterable[str] = (), **data
) -> NpsResponse:
    return _create(KINDS["nps"], actor=actor, data=data, custom=custom, required=required_fields)


@transaction.atomic
def nps_update(
    *,
    actor,
    response: NpsResponse,
    custom: dict | None = None,
    required_fields: Iterable[str] = (),
    **data,
) -> NpsResponse:
    kind = KINDS["nps"]
    return _update(
        kind, actor=actor, instance=response, data=data, custom=custom, required=required_fields
    )[0]


def nps_upsert(*, actor, external_id: str, data: dict, source: str):
    return _upsert(KINDS["nps"], actor=actor, external_id=external_id, data=data, source=source)


@transaction.atomic
def ticket_create(
    *, actor, custom: dict | None = None, required_fields: Iterable[str] = (), **data
) -> ServiceTicket:
    return _create(KINDS["ticket"], actor=actor, data=data, custom=custom, required=required_fields)


@transaction.atomic
def ticket_update(
    *,
    actor,
    ticket: ServiceTicket,
    custom: dict | None = None,
    required_fields: Iterable[str] = (),
    **data,
) -> ServiceTicket:
    """Change a ticket; the response times follow the instants, and the first time it has
    a resolved time ``ticket.resolved`` is emitted."""
    kind = KINDS["ticket"]
    return _update(
        kind, actor=actor, instance=ticket, data=data, custom=custom, required=required_fields
    )[0]


def ticket_upsert(*, actor, external_id: str, data: dict, source: str):
    return _upsert(KINDS["ticket"], actor=actor, external_id=external_id, data=data, source=source)


@transaction.atomic
def renewal_create(
    *, actor, custom: dict | None = None, required_fields: Iterable[str] = (), **data
) -> Renewal:
    return _create(
        KINDS["renewal"], actor=actor, data=data, custom=custom, required=required_fields
    )


@transaction.atomic
def renewal_update(
    *,
    actor,
    renewal: Renewal,
    custom: dict | None = None,
    required_fields: Iterable[str] = (),
    **data,
) -> Renewal:
    """Change a renewal; marking it renewed or lost stamps today as closing date unless
    one is given, and emits ``renewal.closed``."""
    kind = KINDS["renewal"]
    return _update(
        kind, actor=actor, instance=renewal, data=data, custom=custom, required=required_fields
    )[0]


def renewal_upsert(*, actor, external_id: str, data: dict, source: str):
    return _upsert(KINDS["renewal"], actor=actor, external_id=external_id, data=data, source=source)


__all__ = [
    "CREATED",
    "UNCHANGED",
    "UPDATED",
    "complaint_create",
    "complaint_update",
    "complaint_upsert",
    "nps_create",
    "nps_update",
    "nps_upsert",
    "renewal_create",
    "renewal_update",
    "renewal_upsert",
    "ticket_create",
    "ticket_update",
    "ticket_upsert",
]
