"""Mentor pairs (SPEC I5): who coaches whom, from when until when.

Configurers create, change and end pairs; a manager sees the pairs of their team
(read-only). Both people must be active users paid by the plans (rep or manager), a mentor
cannot mentor themselves, the end is not before the start, and a mentee has at most one
mentor at a time (no overlapping pairs). The mentor reward itself (``mentor.reward``) is
the tranches area's.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from salesops.core import clock
from salesops.core.history import save_with_history

from . import permissions
from .models import MentorPair

PAIR_FIELDS = ("mentor", "mentee", "starts_on", "ends_on", "note")


def can_view(user) -> bool:
    return permissions.can_configure(user) or (
        permissions.has_statement(user) and user.is_manager_role
    )


def require_viewer(user) -> None:
    if not can_view(user):
        raise PermissionDenied(_("Only sales-ops admins, directors and managers see mentor pairs."))


def require_configurer(user) -> None:
    if not permissions.can_configure(user):
        raise PermissionDenied(_("Only a sales-ops admin or a director changes mentor pairs."))


def visible_pairs(user) -> QuerySet:
    """The pairs ``user`` may see: all for a configurer; a manager's those whose mentor or
    mentee is in their team; none for the others."""
    qs = MentorPair.objects.select_related("mentor", "mentee", "mentor__team", "mentee__team")
    if permissions.can_configure(user):
        return qs
    if not can_view(user):
        return qs.none()
    ids = permissions.visible_rep_ids(user)
    if ids is None:
        return qs
    return qs.filter(Q(mentee_id__in=ids) | Q(mentor_id__in=ids))


def pairs_list(user, *, q: str = "", state: str = "") -> QuerySet:
    qs = visible_pairs(user)
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(mentor__display_name__icontains=q)
            | Q(mentor__username__icontains=q)
            | Q(mentee__display_name__icontains=q)
            | Q(mentee__username__icontains=q)
        )
    today = clock.today()
    current = Q(starts_on__lte=today) & (Q(ends_on__isnull=True) | Q(ends_on__gte=today))
    if state == "current":
        qs = qs.filter(current)
    elif state == "ended":
        qs = qs.filter(ends_on__lt=today)
    elif state == "upcoming":
        qs = qs.filter(starts_on__gt=today)
    return qs.order_by("-starts_on", "-pk")


def _user(value, field: str, errors: dict, *, lock: bool = False):
    User = get_user_model()
    if isinstance(value, User):
        value = value.pk
    try:
        pk = int(value)
    except (TypeError, ValueError):
        errors[field] = [_("Pick a person.")]
        return None
    qs = User.objects.select_for_update() if lock else User.objects
    user = qs.filter(pk=pk).first() if 0 < pk < 2**63 else None
    if user is None:
        errors[field] = [_("Unknown person.")]
    elif not user.is_active:
        errors[field] = [_("%(name)s is inactive.") % {"name": user.label}]
    elif not permissions.has_statement(user):
        errors[field] = [
            _("%(name)s is not paid by the bonus plans: pick a sales rep or a manager.")
            % {"name": user.label}
        ]
    else:
        return user
    return None


def _date(value, field: str, errors: dict, *, required: bool) -> dt.date | None:
    if value in (None, ""):
        if required:
            errors[field] = [_("Enter a date as YYYY-MM-DD.")]
        return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        errors[field] = [_("Enter a date as YYYY-MM-DD.")]
        return None


def _validate(pair: MentorPair, data: dict) -> None:
    """Apply ``data`` to ``pair`` and check the whole pair; ValidationError naming each
    field. The mentee's row is locked so two saves cannot both pass the overlap check."""
    errors: dict = {}
    for key in data:
        if key not in PAIR_FIELDS:
            errors[key] = [_("Unknown field.")]
    if "mentee" in data or pair.mentee_id is None:
        pair.mentee = _user(data.get("mentee"), "mentee", errors, lock=True)
    else:
        get_user_model().objects.select_for_update().filter(pk=pair.mentee_id).first()
    if "mentor" in data or pair.mentor_id is None:
        pair.mentor = _user(data.get("mentor"), "mentor", errors)
    if "starts_on" in data or pair.starts_on is None:
        pair.starts_on = _date(data.get("starts_on"), "starts_on", errors, required=True)
    if "ends_on" in data:
        pair.ends_on = _date(data.get("ends_on"), "ends_on", errors, required=False)
    if "note" in data:
        pair.note = str(data.get("note") or "").strip()
        if len(pair.note) > 300:
            errors["note"] = [_("At most 300 characters.")]
    if pair.mentor_id and pair.mentor_id == pair.mentee_id and "mentee" not in errors:
        errors["mentee"] = [_("A mentor cannot mentor themselves: pick another mentee.")]
    if (
        pair.starts_on
        and pair.ends_on
        and pair.ends_on < pair.starts_on
        and "ends_on" not in errors
    ):
        errors["ends_on"] = [
            _("The end (%(end)s) is before the start (%(start)s).")
            % {"end": pair.ends_on, "start": pair.starts_on}
        ]
    if not errors:
        clash = _overlap(pair)
        if clash is not None:
            errors["starts_on"] = [
                _(
                    "%(mentee)s already has a mentor in this time: %(mentor)s from %(start)s "
                    "until %(end)s. End that pair first or pick other dates."
                )
                % {
                    "mentee": pair.mentee.label,
                    "mentor": clash.mentor.label,
                    "start": clash.starts_on,
                    "end": clash.ends_on or _("open-ended"),
                }
            ]
    if errors:
        raise ValidationError(errors)


def _overlap(pair: MentorPair) -> MentorPair | None:
    qs = MentorPair.objects.select_related("mentor").filter(mentee_id=pair.mentee_id)
    if pair.pk:
        qs = qs.exclude(pk=pair.pk)
    # Two ranges meet when each starts before the other ends (an open end never ends).
    qs = qs.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=pair.starts_on))
    if pair.ends_on is not None:
        qs = qs.filter(starts_on__lte=pair.ends_on)
    return qs.order_by("starts_on").first()


@transaction.atomic
def create_pair(*, by, mentor, mentee, starts_on, ends_on=None, note: str = "") -> MentorPair:
    require_configurer(by)
    pair = MentorPair(created_by=by)
    data = {"mentor": mentor, "mentee": mentee, "starts_on": starts_on, "ends_on": ends_on}
    data["note"] = note
    _validate(pair, data)
    save_with_history(pair, by, "created")
    return pair


@transaction.atomic
def update_pair(*, by, pair: MentorPair, **fields) -> MentorPair:
    require_configurer(by)
    pair = MentorPair.objects.select_for_update().get(pk=pair.pk)
    _validate(pair, fields)
    save_with_history(pair, by, "updated")
    return pair


def end_pair(*, by, pair: MentorPair, ends_on: dt.date | None = None) -> MentorPair:
    """End a pair (today unless told): the mentor earns nothing from later deals."""
    return update_pair(by=by, pair=pair, ends_on=ends_on or clock.today())
