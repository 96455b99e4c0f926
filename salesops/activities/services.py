"""Every write to activities and result tags.

``activity_log`` records a call, visit, WeChat conversation, email or meeting — finished
(with its result tag) or, without a tag, dates or duration, an open one that is finished
later with ``check_in``. Finishing needs exactly one active result tag and allows a short
note (SPEC A1–A2; its length is the organisation's, ``core.orgsettings``); an *effective touch* is an activity whose tag
means the person was reached and that lasted at least ``effective_seconds()`` (A3). Where
a duration came from — the call timer or a person's typing — is kept in
``duration_source``. A finished check-in on a lead tells the leads app, which sets the
lead's first contact and stops its SLA clock.

Services take the acting user explicitly, check what they may see, collect every bad
field into one ValidationError and write in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.text import slugify
from django.utils.translation import gettext as _

from salesops.core import clock, events, orgsettings, visibility
from salesops.customers.models import Account, Contact
from salesops.customization import services as custom_services
from salesops.leads import services as lead_services
from salesops.leads.models import Lead
from salesops.pipeline.models import Deal

from . import rollup
from .models import (
    Activity,
    ActivityKind,
    DurationSource,
    ResultTag,
    effective_seconds,
)

TAG_FIELDS = ("code", "label_zh", "label_en", "order", "is_active", "counts_as_contact")


# --- helpers --------------------------------------------------------------------------------
def _add(errors: dict, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def tag_required_message() -> str:
    return _("The record cannot be finished without a tag: pick one result.")


def _resolve_tag(tag, errors: dict) -> ResultTag | None:
    """The active tag meant by ``tag`` (a ResultTag or its code); errors go to ``errors``."""
    if tag is None or tag == "":
        return None
    if isinstance(tag, ResultTag):
        found = ResultTag.objects.filter(pk=tag.pk, is_active=True).first()
    elif isinstance(tag, str):
        found = ResultTag.objects.filter(code=tag.strip(), is_active=True).first()
    else:
        found = None
    if found is None:
        _add(errors, "tag", _("Unknown or inactive result; pick one of the offered results."))
    return found


def _clean_note(note, errors: dict) -> str:
    if note is not None and not isinstance(note, str):
        _add(errors, "note", _("Enter text."))
        return ""
    note = (note or "").strip()
    note_max = orgsettings.current().checkin_note_max
    if len(note) > note_max:
        _add(
            errors,
            "note",
            _("Keep the note to at most %(max)d characters (it has %(n)d).")
            % {"max": note_max, "n": len(note)},
        )
    return note


def _check_seconds(seconds, errors: dict) -> int | None:
    if seconds is None or seconds == "":
        return None
    try:
        value = int(seconds)
    except (TypeError, ValueError):
        _add(errors, "duration_seconds", _("Enter the duration as a whole number of seconds."))
        return None
    if value < 0:
        _add(errors, "duration_seconds", _("The duration cannot be negative."))
        return None
    return value


def is_effective(tag, duration_seconds: int) -> bool:
    """An effective touch: a result that means the person was reached (a tag whose
    ``counts_as_contact`` is false, e.g. 无人接听, never counts, however long the line
    rang) and at least ``effective_seconds()`` of interaction."""
    return (
        tag is not None and tag.counts_as_contact and (duration_seconds or 0) >= effective_seconds()
    )


def _check_source(source, errors: dict) -> str | None:
    """The caller's claim where a duration came from: ``timer`` or ``typed`` (or None)."""
    if source in (None, ""):
        return None
    if source not in (DurationSource.TIMER, DurationSource.TYPED):
        _add(
            errors,
            "duration_source",
            _("Choose “timer” (measured by the call timer) or “typed” (entered by hand)."),
        )
        return None
    return source


def _source(claimed: str | None, given: bool) -> str:
    """Where the stored duration came from: nothing given → none; given → what the caller
    says, typed unless it says the timer measured it."""
    if not given:
        return DurationSource.NONE
    return claimed or DurationSource.TYPED


def _timing(started_at, ended_at, seconds, finishing: bool, errors: dict):
    """``(started_at, ended_at, duration_seconds)`` from what was given.

    Both instants → the duration is their difference; one instant and a duration → the
    other instant follows; a finished record with neither instant ended now."""
    now = clock.now()
    if started_at is not None and ended_at is not None:
        if ended_at < started_at:
            _add(errors, "ended_at", _("The end must not be before the start."))
            return started_at, ended_at, 0
        return started_at, ended_at, int((ended_at - started_at).total_seconds())
    if not finishing:
        return started_at or now, None, seconds or 0
    seconds = seconds or 0
    if ended_at is not None:
        return ended_at - dt.timedelta(seconds=seconds), ended_at, seconds
    if started_at is not None:
        return started_at, started_at + dt.timedelta(seconds=seconds), seconds
    return now - dt.timedelta(seconds=seconds), now, seconds


def _require_writer(actor) -> None:
    if actor is None or not actor.is_authenticated or not actor.is_active:
        raise PermissionDenied(_("Log in to record activities."))
    if actor.is_read_only_role:
        raise PermissionDenied(_("Your role can read activities but not record them."))


def _check_deal(actor, deal, lead, account, errors: dict):
    """The deal the activity works on (A1): one the actor may see, of the activity's
    account (the deal's account when the activity names none). Returns the account."""
    if deal is None:
        return account
    if not Deal.objects.visible_to(actor).filter(pk=deal.pk).exists():
        raise PermissionDenied(_("You may not record activities on this deal."))
    if account is None and lead is not None and lead.account_id not in (None, deal.account_id):
        _add(errors, "deal", _("Pick a deal of the lead's account."))
        return account
    if account is None:
        return deal.account
    if deal.account_id != account.pk:
        _add(errors, "deal", _("Pick a deal of the activity's account."))
    return account


def _check_links(actor, lead, account, contact, errors: dict, deal=None):
    """Who the activity is about; raises PermissionDenied for a record the actor may
    not see (pages and the API turn that into a 404)."""
    if deal is not None and lead is None and account is None and contact is None:
        account = deal.account
    if lead is None and account is None and contact is None:
        _add(errors, "lead", _("Link the activity to a lead, an account or a contact."))
        return account
    if lead is not None and not Lead.objects.visible_to(actor).filter(pk=lead.pk).exists():
        raise PermissionDenied(_("You may not record activities on this lead."))
    if contact is not None:
        if not Contact.objects.visible_to(actor).filter(pk=contact.pk).exists():
            raise PermissionDenied(_("You may not record activities on this contact."))
        if account is None:
            account = contact.account
        elif contact.account_id != account.pk:
            _add(errors, "contact", _("This contact belongs to another account."))
    if account is not None and not Account.objects.visible_to(actor).filter(pk=account.pk).exists():
        raise PermissionDenied(_("You may not record activities on this account."))
    return _check_deal(actor, deal, lead, account, errors)


def _check_owner(actor, owner, errors: dict):
    """The activity's owner: the actor, or an active user whose records the actor may
    change (a rep records only their own activities)."""
    if owner is None or owner.pk == actor.pk:
        return actor
    ids = visibility.editable_owner_ids(actor)
    if not owner.is_active or (ids is not None and owner.pk not in set(ids)):
        _add(errors, "owner", _("You may not record activities for %(name)s.") % {"name": owner})
    return owner


def _after_finish(activity: Activity) -> None:
    """Tell the lead it was worked on, and announce the activity (both inside the
    caller's transaction; the event goes out after commit)."""
    if activity.lead_id is not None:
        lead_services.record_contact(
            lead_id=activity.lead_id,
            at=activity.ended_at or activity.started_at,
            counts_as_contact=activity.tag.counts_as_contact,
        )
    events.emit(
        "activity.logged",
        {
            "id": activity.pk,
            "owner_id": activity.owner_id,
            "kind": activity.kind,
            "lead_id": activity.lead_id,
            "account_id": activity.account_id,
            "tag": activity.tag.code,
            "effective": activity.effective,
        },
    )


# --- activities -----------------------------------------------------------------------------
@transaction.atomic
def activity_log(
    *,
    actor,
    kind: str,
    lead=None,
    account=None,
    contact=None,
    deal=None,
    started_at: dt.datetime | None = None,
    ended_at: dt.datetime | None = None,
    duration_seconds: int | None = None,
    tag: ResultTag | str | None = None,
    note: str = "",
    duration_source: str | None = None,
    finish: bool = False,
    custom: dict | None = None,
    owner=None,
) -> Activity:
    """Record an activity by ``actor`` (who owns it, unless ``owner`` names someone whose
    records the actor may change: a manager's or an admin's import of the team's calls).

    ``finish`` says the caller records a finished activity (the check-in screen): then a
    missing tag is refused even when no duration was given. ``custom`` holds the
    activity's custom field values (SPEC X1); a started (open) activity checks only the
    ones given, a finished one also fills defaults and needs the required ones.

    ``duration_source`` says where a given duration (or pair of instants) came from:
    ``"timer"`` when a call timer measured it, ``"typed"`` (the default) when a person
    entered it.

    With a tag it is finished at once. Without a tag, dates or duration it is an open
    activity (a call under way) to finish with :func:`check_in`; a tagless record that
    says when it ended or how long it took is refused: it cannot be finished without a
    tag."""
    _require_writer(actor)
    errors: dict[str, list] = {}
    owner = _check_owner(actor, owner, errors)
    if kind not in ActivityKind.values:
        _add(
            errors,
            "kind",
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(ActivityKind.values)},
        )
    account = _check_links(actor, lead, account, contact, errors, deal=deal)
    result = _resolve_tag(tag, errors)
    note = _clean_note(note, errors)
    seconds = _check_seconds(duration_seconds, errors)
    claimed = _check_source(duration_source, errors)
    measured = seconds is not None or (started_at is not None and ended_at is not None)
    if claimed == DurationSource.TIMER and not measured:
        _add(errors, "duration_source", _("Send the duration the call timer measured."))
    finishing = finish or tag not in (None, "") or ended_at is not None or seconds is not None
    if finishing and tag in (None, ""):
        _add(errors, "tag", tag_required_message())
    if not finishing and note:
        _add(errors, "note", _("Add the note when you finish the activity with its result."))
    start, end, seconds = _timing(started_at, ended_at, seconds, finishing, errors)
    holder = Activity()
    for field, messages in custom_services.merge_custom(
        holder, "activity", custom, partial=not finishing
    ).items():
        errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    now = clock.now()
    activity = Activity(
        custom=holder.custom,
        kind=kind,
        owner=owner,
        lead=lead,
        account=account,
        contact=contact,
        deal=deal,
        started_at=start,
        ended_at=end,
        duration_seconds=seconds,
        duration_source=_source(claimed, finishing and measured),
        tag=result,
        note=note,
        effective=is_effective(result, seconds),
        checked_in_at=now if result is not None else None,
        created_by=actor,
    )
    activity.full_clean(exclude=["effective"], validate_unique=False)
    activity.save()
    if result is not None:
        _after_finish(activity)
    return activity


@transaction.atomic
def check_in(
    *,
    actor,
    activity: Activity,
    tag: ResultTag | str | None,
    note: str = "",
    duration_seconds: int | None = None,
    duration_source: str | None = None,
    custom: dict | None = None,
    deal=None,
) -> Activity:
    """Finish an open activity: the result tag, the note and how long it took (and the
    deal it worked on, when ``deal`` is given). Without
    a duration it is the time since it started, measured by the server (``timer``); a
    given one is ``typed`` unless ``duration_source`` says a call timer measured it."""
    _require_writer(actor)
    activity = (
        Activity.objects.select_for_update().editable_by(actor).filter(pk=activity.pk).first()
    )
    if activity is None:
        raise PermissionDenied(_("You may not check in this activity."))
    errors: dict[str, list] = {}
    if activity.tag_id is not None:
        raise ValidationError({"tag": _("This activity is already checked in.")})
    result = _resolve_tag(tag, errors)
    if tag in (None, ""):
        _add(errors, "tag", tag_required_message())
    note = _clean_note(note, errors)
    seconds = _check_seconds(duration_seconds, errors)
    claimed = _check_source(duration_source, errors)
    if deal is not None:
        if activity.account_id is None and activity.lead_id is None:
            _add(errors, "deal", _("Link the activity to the deal's account first."))
        else:
            account = _check_deal(actor, deal, activity.lead, activity.account, errors)
            activity.account, activity.deal = account, deal
    now = clock.now()
    if seconds is None:
        if now < activity.started_at:
            _add(errors, "ended_at", _("The activity has not started yet."))
        seconds = max(0, int((now - activity.started_at).total_seconds()))
        ended_at = now
        source = DurationSource.TIMER
    else:
        ended_at = activity.started_at + dt.timedelta(seconds=seconds)
        source = _source(claimed, True)
    # Finishing fills the defaults and needs the required custom fields; values given
    # when the activity started stay unless changed now.
    given = {**(activity.custom or {}), **(custom or {})}
    for field, messages in custom_services.merge_custom(
        activity, "activity", given, partial=False
    ).items():
        errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    activity.tag = result
    activity.note = note
    activity.duration_seconds = seconds
    activity.duration_source = source
    activity.ended_at = ended_at
    activity.checked_in_at = now
    activity.effective = is_effective(result, seconds)
    activity.save(
        update_fields=[
            "account",
            "deal",
            "tag",
            "note",
            "duration_seconds",
            "duration_source",
            "custom",
            "ended_at",
            "checked_in_at",
            "effective",
        ]
    )
    _after_finish(activity)
    return activity


# --- result tags (admins) -------------------------------------------------------------------
def can_manage_tags(user) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and (user.is_admin_role or user.edits_everything)
    )


def _require_tag_admin(actor) -> None:
    if not can_manage_tags(actor):
        raise PermissionDenied(_("Only sales-ops admins may change the result tags."))


def _validate_tag(tag: ResultTag, errors: dict) -> None:
    for field in ("label_zh", "label_en"):
        if not (getattr(tag, field) or "").strip():
            _add(errors, field, _("Enter the label in both Chinese and English."))
    if not tag.code:
        _add(errors, "code", _("Enter a code (letters, digits, _ and -)."))
    elif slugify(tag.code).replace("-", "_") != tag.code.replace("-", "_"):
        _add(errors, "code", _("Use only lower-case letters, digits, _ and - in the code."))
    elif ResultTag.objects.filter(code__iexact=tag.code).exclude(pk=tag.pk).exists():
        _add(errors, "code", _("Another result tag already uses this code."))
    try:
        tag.full_clean(exclude=list(errors), validate_unique=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _strip(data: dict) -> dict:
    return {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}


@transaction.atomic
def result_tag_create(
    *,
    actor,
    code: str,
    label_zh: str,
    label_en: str,
    counts_as_contact: bool = True,
    order: int | None = None,
    is_active: bool = True,
) -> ResultTag:
    """Add a result to the check-in choices (at the end unless ``order`` is given)."""
    _require_tag_admin(actor)
    data = _strip({"code": code or "", "label_zh": label_zh or "", "label_en": label_en or ""})
    if order is None:
        order = (ResultTag.objects.aggregate(m=Max("order"))["m"] or 0) + 10
    tag = ResultTag(
        **data,
        counts_as_contact=counts_as_contact,
        order=order,
        is_active=is_active,
        created_by=actor,
    )
    _validate_tag(tag, {})
    tag.save()
    return tag


@transaction.atomic
def result_tag_update(*, actor, tag: ResultTag, **data) -> ResultTag:
    """Change labels, order, "counts as a contact" or the active flag. The code stays:
    rules and reports refer to it."""
    _require_tag_admin(actor)
    errors: dict[str, list] = {}
    unknown = set(data) - set(TAG_FIELDS)
    for field in sorted(unknown):
        _add(errors, field, _("Unknown field."))
    data = _strip({k: v for k, v in data.items() if k not in unknown})
    if "code" in data and data["code"] != tag.code:
        _add(errors, "code", _("The code cannot change; rules and reports refer to it."))
    data.pop("code", None)
    if errors:
        raise ValidationError(errors)
    if data.get("is_active") is False:
        _check_not_last(tag)
    recount = "counts_as_contact" in data and data["counts_as_contact"] != tag.counts_as_contact
    for key, value in data.items():
        if value is None and key in ("label_zh", "label_en"):
            value = ""
        setattr(tag, key, value)
    _validate_tag(tag, {})
    tag.save()
    if recount:
        _recount_effective(tag)
    return tag


def _recount_effective(tag: ResultTag) -> None:
    """The activities with ``tag`` after its "counts as a contact" changed: without it
    none is an effective touch; with it those long enough are."""
    activities = Activity.objects.filter(tag=tag)
    if not tag.counts_as_contact:
        changed = activities.filter(effective=True)
        owners = set(changed.values_list("owner_id", flat=True).distinct())
        changed.update(effective=False)
    else:
        changed = activities.filter(effective=False, duration_seconds__gte=effective_seconds())
        owners = set(changed.values_list("owner_id", flat=True).distinct())
        changed.update(effective=True)
    if owners:  # a bulk update sends no per-row signal: recount those reps' buckets
        rollup.rebuild(owner_ids=owners)


def _check_not_last(tag: ResultTag) -> None:
    if tag.is_active and not ResultTag.objects.filter(is_active=True).exclude(pk=tag.pk).exists():
        raise ValidationError(
            {"is_active": _("Keep at least one active result, or nobody can check in.")}
        )


@transaction.atomic
def result_tag_deactivate(*, actor, tag: ResultTag) -> ResultTag:
    """Hide a result from the check-in choices; activities that used it keep it."""
    return result_tag_update(actor=actor, tag=tag, is_active=False)


@transaction.atomic
def result_tag_reorder(*, actor, codes: Iterable[str]) -> list[ResultTag]:
    """Put the tags in the order of ``codes``; tags not named keep their relative order
    after them."""
    _require_tag_admin(actor)
    codes = [c.strip() for c in codes]
    by_code = {t.code: t for t in ResultTag.objects.all()}
    unknown = [c for c in codes if c not in by_code]
    if unknown:
        raise ValidationError(
            {"codes": _("Unknown result codes: %(codes)s.") % {"codes": ", ".join(unknown)}}
        )
    if len(set(codes)) != len(codes):
        raise ValidationError({"codes": _("Name each result once.")})
    rest = [t for t in ResultTag.objects.order_by("order", "id") if t.code not in set(codes)]
    ordered = [by_code[c] for c in codes] + rest
    now = clock.now()
    for i, tag in enumerate(ordered, start=1):
        tag.order = i * 10
        tag.updated_at = now
    ResultTag.objects.bulk_update(ordered, ["order", "updated_at"])
    return ordered
