"""The organisation's business policy as data (SPEC P2): what :class:`OrgSettings` and the
admin-entered :class:`CalendarDay` rows say, read on hot paths (intake, routing, SLA
timers) through one :class:`~salesops.core.configcache.ConfigCache`.

``current()`` returns a frozen :class:`Policy` (the defaults until an admin saves the
page). A save anywhere (the page, the API, the admin) invalidates the cache at once in
this process and, through the version kept in Django's cache (Redis in production), in
every other process at its next read: no restart.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from . import clock
from .configcache import ConfigCache
from .history import save_with_history
from .models import CalendarDay, OrgSettings

# Its own age limit: tests keep this cache on (``core/tests/caching.py`` empties it
# between tests), so a test counting an intake's queries counts the same as production.
cache = ConfigCache("org-settings", ttl_setting="ORG_SETTINGS_CACHE_SECONDS")

POLICY_FIELDS = (
    "default_daily_lead_cap",
    "work_start",
    "work_end",
    "lunch_start",
    "lunch_end",
    "dedup_name_certain",
    "dedup_name_review",
    "effective_touch_seconds",
    "checkin_note_max",
    "dwell_top_n",
)


@dataclass(frozen=True)
class Policy:
    """The settings in force, plus the admin's holidays and make-up workdays."""

    default_daily_lead_cap: int
    work_start: dt.time
    work_end: dt.time
    lunch_start: dt.time | None
    lunch_end: dt.time | None
    dedup_name_certain: int
    dedup_name_review: int
    effective_touch_seconds: int
    checkin_note_max: int
    dwell_top_n: int
    extra_holidays: frozenset[dt.date]
    extra_workdays: frozenset[dt.date]

    @property
    def working_hours(self) -> str:
        """``"09:00-12:00,13:00-18:00"``: the business calendar's working periods."""

        def hm(t: dt.time) -> str:
            return t.strftime("%H:%M")

        if self.lunch_start and self.lunch_end:
            return (
                f"{hm(self.work_start)}-{hm(self.lunch_start)},"
                f"{hm(self.lunch_end)}-{hm(self.work_end)}"
            )
        return f"{hm(self.work_start)}-{hm(self.work_end)}"


def row() -> OrgSettings:
    """The stored row, or an unsaved one with the defaults."""
    return OrgSettings.objects.order_by("pk").first() or OrgSettings()


def _build() -> Policy:
    stored = row()
    holidays, workdays = set(), set()
    for day, kind in CalendarDay.objects.values_list("day", "kind"):
        (holidays if kind == CalendarDay.Kind.HOLIDAY else workdays).add(day)
    return Policy(
        **{f.name: getattr(stored, f.name) for f in fields(Policy) if f.name in POLICY_FIELDS},
        extra_holidays=frozenset(holidays),
        extra_workdays=frozenset(workdays),
    )


def current() -> Policy:
    """The organisation's settings in force (cached; a save is seen at once)."""
    return cache.get("policy", _build)


def _check(stored: OrgSettings) -> dict:
    """Errors of the combination (each value's own range is checked by its validators)."""
    errors: dict[str, list] = {}
    try:
        stored.full_clean(exclude=["updated_by", "updated_at"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        return errors
    if stored.work_end <= stored.work_start:
        errors["work_end"] = [_("The working day must end after it starts.")]
    if bool(stored.lunch_start) != bool(stored.lunch_end):
        field = "lunch_end" if stored.lunch_start else "lunch_start"
        errors[field] = [_("Give both the start and the end of the lunch break, or neither.")]
    elif stored.lunch_start and stored.lunch_end and "work_end" not in errors:
        if stored.lunch_end <= stored.lunch_start:
            errors["lunch_end"] = [_("The lunch break must end after it starts.")]
        elif not (stored.work_start < stored.lunch_start and stored.lunch_end < stored.work_end):
            errors["lunch_start"] = [
                _("The lunch break must lie within the working day (%(start)s–%(end)s).")
                % {
                    "start": stored.work_start.strftime("%H:%M"),
                    "end": stored.work_end.strftime("%H:%M"),
                }
            ]
    if stored.dedup_name_review > stored.dedup_name_certain:
        errors["dedup_name_review"] = [
            _("The review threshold must not be above the certain threshold (%(certain)d).")
            % {"certain": stored.dedup_name_certain}
        ]
    return errors


def _require_admin(actor) -> None:
    if not (actor and actor.is_authenticated and actor.is_admin_role):
        raise PermissionDenied(_("Only a sales-ops admin changes the organisation settings."))


@transaction.atomic
def org_settings_update(*, actor, **data) -> OrgSettings:
    """Change the organisation settings (admins); audited through the row's history."""
    _require_admin(actor)
    stored = OrgSettings.objects.select_for_update().order_by("pk").first() or OrgSettings()
    errors = {}
    for key, value in data.items():
        if key not in POLICY_FIELDS:
            errors[key] = [_("Unknown field.")]
            continue
        setattr(stored, key, value)
    errors = errors or _check(stored)
    if errors:
        raise ValidationError(errors)
    now = clock.now()  # forward even with a frozen clock: it is the form's version
    if stored.pk and stored.updated_at and now <= stored.updated_at:
        now = stored.updated_at + dt.timedelta(microseconds=1)
    stored.updated_at = now
    stored.updated_by = actor
    save_with_history(stored, actor, "updated")
    cache.invalidate()
    return stored


def parse_days(text: str, *, field: str) -> dict[dt.date, str]:
    """``"2027-01-01 New Year"`` per line → ``{date: note}``; a bad line names itself."""
    days: dict[dt.date, str] = {}
    errors = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        head, _sep, note = line.partition(" ")
        try:
            day = dt.date.fromisoformat(head.strip())
        except ValueError:
            errors.append(
                _("Line %(n)d: %(value)s is not a date; write it as YYYY-MM-DD, e.g. 2027-01-01.")
                % {"n": number, "value": head}
            )
            continue
        if day in days:
            errors.append(_("Line %(n)d: %(day)s is listed twice.") % {"n": number, "day": day})
            continue
        days[day] = note.strip()[:100]
    if errors:
        raise ValidationError({field: errors})
    return days


@transaction.atomic
def calendar_days_update(*, actor, holidays: dict, workdays: dict) -> None:
    """Replace the admin's holidays and make-up workdays (``{date: note}`` each); every
    added, changed or removed day is a history row of its own."""
    _require_admin(actor)
    both = sorted(set(holidays) & set(workdays))
    if both:
        raise ValidationError(
            {
                "extra_workdays": [
                    _("%(days)s cannot be both a holiday and a workday.")
                    % {"days": ", ".join(d.isoformat() for d in both)}
                ]
            }
        )
    wanted = {d: (CalendarDay.Kind.HOLIDAY, n) for d, n in holidays.items()}
    wanted.update({d: (CalendarDay.Kind.WORKDAY, n) for d, n in workdays.items()})
    for existing in CalendarDay.objects.select_for_update():
        if existing.day not in wanted:
            existing._history_user = actor
            existing.delete()
            continue
        kind, note = wanted.pop(existing.day)
        if (existing.kind, existing.note) != (kind, note):
            existing.kind, existing.note = kind, note
            save_with_history(existing, actor, "updated")
    for day, (kind, note) in sorted(wanted.items()):
        save_with_history(CalendarDay(day=day, kind=kind, note=note), actor, "added")
    cache.invalidate()


def days_text(days: frozenset[dt.date] | set, notes: dict[dt.date, str]) -> str:
    """The textarea's text for ``days``: one ``date note`` per line, in date order."""
    return "\n".join(f"{d.isoformat()} {notes.get(d, '')}".rstrip() for d in sorted(days))
