"""What each kind of outbox item does on the server: the owning app's service with the
rep as actor, so visibility, validation, routing, de-duplication and audit are exactly as
online. A handler returns an :class:`Outcome` or raises ``ValidationError`` (→ "error")
or ``PermissionDenied`` (→ "refused"); the caller rolls its writes back then."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from salesops.activities import services as activity_services
from salesops.activities.models import Activity
from salesops.core import clock
from salesops.customers.models import Account, Contact
from salesops.customization.services import CUSTOM_PREFIX
from salesops.leads import services as lead_services
from salesops.leads.models import Lead
from salesops.pipeline.models import Deal

from .models import SyncConflict, SyncItem, SyncKind, SyncStatus


@dataclass
class Outcome:
    status: str
    message: str = ""
    record: object = None
    extra: dict = field(default_factory=dict)
    # Unsaved: written with the item's key row (services.sync_item).
    conflicts: list = field(default_factory=list)


def no_longer_visible(what: str) -> PermissionDenied:
    texts = {
        "lead": _("You may no longer see this lead."),
        "account": _("You may no longer see this account."),
        "contact": _("You may no longer see this contact."),
        "deal": _("You may no longer see this deal."),
        "activity": _("You may no longer see this activity."),
    }
    return PermissionDenied(texts[what])


def _split_custom(payload: dict) -> tuple[dict, dict | None]:
    """Form fields as the page posts them: ``custom.<key>`` fields into one dict."""
    data, custom = {}, dict(payload.get("custom") or {}) or None
    for key, value in payload.items():
        if key == "custom":
            continue
        if key.startswith(CUSTOM_PREFIX):
            custom = custom or {}
            custom[key.removeprefix(CUSTOM_PREFIX)] = value
        else:
            data[key] = value
    return data, custom


def _int(value, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError({name: [_("Enter a whole number.")]}) from None


def _earlier_record(actor, ref, name: str) -> int | None:
    """A record an earlier item of this outbox created (``lead_uuid``): a check-in typed
    offline on a lead that was itself typed offline."""
    if not ref:
        return None
    earlier = SyncItem.objects.filter(user=actor, client_uuid=ref).first()
    if earlier is None or earlier.record_id is None:
        raise ValidationError(
            {name: [_("The record this item refers to was not saved; fix that item first.")]}
        )
    return earlier.record_id


def lead_create(*, actor, payload: dict, item: SyncItem) -> Outcome:
    data, custom = _split_custom(payload)
    channel = data.pop("channel", "") or ""
    data = {k: v for k, v in data.items() if k in lead_services.LEAD_FIELDS}
    result = lead_services.quick_entry(actor=actor, data=data, custom=custom, channel=channel)
    lead = result.lead
    # A rep's own entry stays with them; anything else (routed, or matched to someone
    # else's lead) is asked of the visibility rules.
    visible = lead.owner_id == actor.pk or (
        Lead.objects.visible_to(actor).filter(pk=lead.pk).exists()
    )
    if result.outcome == "attached":
        matched_by = str(result.match.kind) if result.match else ""
        if visible:
            text = _("Already registered as lead %(lead)s — added as a new inquiry.") % {
                "lead": lead
            }
        else:
            owner = lead.owner.label if lead.owner else _("the unassigned pool")
            text = _(
                "Already registered as a lead of %(owner)s — added as a new inquiry; "
                "they have been told."
            ) % {"owner": owner}
        return Outcome(
            SyncStatus.DUPLICATE,
            text,
            lead,
            {"matched_by": matched_by, "visible": visible},
        )
    return Outcome(
        SyncStatus.APPLIED, _("Lead “%(lead)s” saved.") % {"lead": lead}, lead, {"visible": visible}
    )


def _duration(data: dict) -> int | None:
    minutes, seconds = _int(data.get("minutes"), "minutes"), _int(data.get("seconds"), "seconds")
    if minutes is None and seconds is None:
        return _int(data.get("duration_seconds"), "duration_seconds")
    return (minutes or 0) * 60 + (seconds or 0)


def _visible(model, actor, pk, name: str):
    if pk is None:
        return None
    record = model.objects.visible_to(actor).filter(pk=pk).first()
    if record is None:
        raise no_longer_visible(name)
    return record


def checkin_create(*, actor, payload: dict, item: SyncItem) -> Outcome:
    data, custom = _split_custom(payload)
    lead_id = _int(data.get("lead"), "lead") or _earlier_record(
        actor, data.get("lead_uuid"), "lead"
    )
    target = {
        "lead": _visible(Lead, actor, lead_id, "lead"),
        "account": _visible(Account, actor, _int(data.get("account"), "account"), "account"),
        "contact": _visible(Contact, actor, _int(data.get("contact"), "contact"), "contact"),
    }
    deal = _visible(Deal, actor, _int(data.get("deal"), "deal"), "deal")
    if target["contact"] is not None and target["account"] is None:
        target["account"] = target["contact"].account
    if deal is not None and target["account"] is None:
        target["account"] = deal.account
    if not any(target.values()):
        raise ValidationError(
            {"lead": [_("Open the check-in from a lead, an account or a contact.")]}
        )
    activity = activity_services.activity_log(
        actor=actor,
        kind=str(data.get("kind") or "call"),
        duration_seconds=_duration(data),
        duration_source=data.get("duration_source") or None,
        finish=True,
        custom=custom,
        tag=data.get("tag") or None,
        note=str(data.get("note") or ""),
        deal=deal,
        **{k: v for k, v in target.items() if v is not None},
    )
    return Outcome(
        SyncStatus.APPLIED,
        _("Check-in saved: %(result)s.") % {"result": activity.tag.label},
        activity,
    )


def note_create(*, actor, payload: dict, item: SyncItem) -> Outcome:
    """The follow-up note that finishes an open activity (its detail page's form)."""
    data, custom = _split_custom(payload)
    activity = _visible(Activity, actor, _int(data.get("activity"), "activity"), "activity")
    if activity is None:
        raise ValidationError({"activity": [_("Name the activity this note finishes.")]})
    activity = activity_services.check_in(
        actor=actor,
        activity=activity,
        tag=data.get("tag") or None,
        note=str(data.get("note") or ""),
        duration_seconds=_duration(data),
        duration_source=data.get("duration_source") or None,
        custom=custom,
    )
    return Outcome(
        SyncStatus.APPLIED,
        _("Check-in saved: %(result)s.") % {"result": activity.tag.label},
        activity,
    )


def _text(value) -> str:
    return "" if value is None else str(value)


def lead_update(*, actor, payload: dict, item: SyncItem) -> Outcome:
    """``{"lead": id, "changes": {field: {"base": seen, "value": new}}}``: a field changed on
    the server since the device read it (to something else than the device's value) is
    not overwritten but kept as a conflict; the other fields are applied."""
    lead_id = _int(payload.get("lead"), "lead") or _earlier_record(
        actor, payload.get("lead_uuid"), "lead"
    )
    if lead_id is None:
        raise ValidationError({"lead": [_("Name the lead to change.")]})
    lead = _visible(Lead, actor, lead_id, "lead")
    changes = payload.get("changes")
    if not isinstance(changes, dict) or not changes:
        raise ValidationError({"changes": [_("Send at least one changed field.")]})
    errors, apply, conflicts = {}, {}, []
    for name, change in changes.items():
        if name not in lead_services.EDITABLE_FIELDS:
            errors[f"changes.{name}"] = [_("Unknown field.")]
            continue
        if not isinstance(change, dict) or "value" not in change:
            errors[f"changes.{name}"] = [_("Send the new value and the value you started from.")]
            continue
        server, mine = _text(getattr(lead, name)), _text(change["value"])
        base = _text(change.get("base")) if "base" in change else server
        if server == base or server == mine:
            apply[name] = mine
        else:
            conflicts.append((name, base, server, mine))
    if errors:
        raise ValidationError(errors)
    if apply:
        lead = lead_services.lead_update(actor=actor, lead=lead, **apply)
    now = clock.now()
    rows = [
        SyncConflict(
            user=actor,
            record_type="lead",
            record_id=lead.pk,
            field=name,
            base_value=base,
            server_value=server,
            client_value=mine,
            created_at=now,
        )
        for name, base, server, mine in conflicts
    ]
    if rows:
        return Outcome(
            SyncStatus.CONFLICT,
            _("Someone changed %(fields)s meanwhile; both values are kept until you choose.")
            % {"fields": ", ".join(r.field for r in rows)},
            lead,
            {"applied_fields": sorted(apply)},
            conflicts=rows,
        )
    return Outcome(
        SyncStatus.APPLIED,
        _("Lead “%(lead)s” saved.") % {"lead": lead},
        lead,
        {"applied_fields": sorted(apply)},
    )


HANDLERS = {
    SyncKind.LEAD_CREATE: lead_create,
    SyncKind.CHECKIN_CREATE: checkin_create,
    SyncKind.NOTE_CREATE: note_create,
    SyncKind.LEAD_UPDATE: lead_update,
}
