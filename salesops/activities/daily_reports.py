"""Daily reports (日报, SPEC A7): the writes and the reads.

Who writes which day: a rep writes (and rewrites) **their own** report for **today** or
for the **previous working day** (Chinese workday calendar, ``core.calendar``) — the
report of a late evening can still be sent the next morning, but not a week later, when
it would no longer tell the manager anything. A later day, a future day or another
person's report is refused. Read-only roles write none.

Who reads: like activities (``core.visibility``) — a rep their own, a manager their team
subtree's, directors and admins everyone's; another rep's report is ``DoesNotExist``
(404).

Every save stores the day's figures (``activities.figures``) in ``snapshot``: what the
rep saw when submitting. The fields' limit is :data:`DAILY_REPORT_TEXT_MAX` characters;
"what was done" and the plans are required, help and forecast changes optional.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salesops.core import calendar, clock, events
from salesops.core.history import save_with_history

from . import figures as day_figures
from .models import DAILY_REPORT_TEXT_MAX, ActivityKind, DailyReport

TEXT_FIELDS = ("done", "plans", "help_needed", "forecast_changes")
REQUIRED = ("done", "plans")


def previous_workday(day: dt.date) -> dt.date:
    day -= dt.timedelta(days=1)
    for _step in range(60):
        if calendar.is_workday(day):
            return day
        day -= dt.timedelta(days=1)
    return day


def writable_days(today: dt.date | None = None) -> list[dt.date]:
    """The days a rep may write a report for: today and the previous working day."""
    today = today or clock.today()
    return [today, previous_workday(today)]


def can_write(user) -> bool:
    return bool(
        user is not None and user.is_authenticated and user.is_active and not user.is_read_only_role
    )


def _require_writer(actor) -> None:
    if not can_write(actor):
        raise PermissionDenied(_("Your role can read daily reports but not write them."))


def _labels() -> dict[str, str]:
    return {
        "done": _("What was done"),
        "plans": _("Plans"),
        "help_needed": _("Help needed"),
        "forecast_changes": _("Forecast changes"),
    }


def _clean_texts(data: dict, errors: dict, *, partial: bool) -> dict:
    labels = _labels()
    clean = {}
    for name in TEXT_FIELDS:
        if partial and name not in data:
            continue
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            errors.setdefault(name, []).append(_("Enter text."))
            continue
        value = (value or "").strip()
        if name in REQUIRED and not value:
            errors.setdefault(name, []).append(
                _("“%(field)s” is empty: write at least a line.") % {"field": labels[name]}
            )
        elif len(value) > DAILY_REPORT_TEXT_MAX:
            errors.setdefault(name, []).append(
                _("Keep “%(field)s” to at most %(max)d characters (it has %(n)d).")
                % {"field": labels[name], "max": DAILY_REPORT_TEXT_MAX, "n": len(value)}
            )
        clean[name] = value
    return clean


def _check_day(day, errors: dict) -> dt.date | None:
    if day is None or day == "":
        return clock.today()
    if isinstance(day, str):
        try:
            day = dt.date.fromisoformat(day.strip())
        except ValueError:
            errors.setdefault("day", []).append(_("Enter the day as YYYY-MM-DD."))
            return None
    if not isinstance(day, dt.date):
        errors.setdefault("day", []).append(_("Enter the day as YYYY-MM-DD."))
        return None
    allowed = writable_days()
    if day not in allowed:
        errors.setdefault("day", []).append(day_message(allowed))
        return None
    return day


def day_message(allowed: list[dt.date]) -> str:
    return _(
        "A daily report is written for today (%(today)s) or the previous working day "
        "(%(previous)s)."
    ) % {"today": allowed[0].isoformat(), "previous": allowed[1].isoformat()}


def snapshot(owner_id: int, day: dt.date) -> dict:
    """The day's figures as stored with the report."""
    found = day_figures.figures(day, day, [owner_id]).get(owner_id, day_figures.Figures())
    return {**found.as_json(), "taken_at": clock.now().isoformat()}


@transaction.atomic
def daily_report_submit(
    *,
    actor,
    day: dt.date | str | None = None,
    done: str = "",
    plans: str = "",
    help_needed: str = "",
    forecast_changes: str = "",
) -> DailyReport:
    """Write ``actor``'s report for ``day`` (today when not given), or rewrite it when it
    exists. Every bad field is reported at once; nothing is written then."""
    _require_writer(actor)
    errors: dict[str, list] = {}
    day = _check_day(day, errors)
    texts = _clean_texts(
        {
            "done": done,
            "plans": plans,
            "help_needed": help_needed,
            "forecast_changes": forecast_changes,
        },
        errors,
        partial=False,
    )
    if errors:
        raise ValidationError(errors)
    report = DailyReport.objects.select_for_update().filter(owner=actor, day=day).first()
    created = report is None
    if created:
        report = DailyReport(owner=actor, day=day, created_by=actor)
    return _save(report, texts, actor, "created" if created else "updated")


@transaction.atomic
def daily_report_update(*, actor, report: DailyReport, **changes) -> DailyReport:
    """Change some fields of ``actor``'s own report (a day still writable)."""
    _require_writer(actor)
    report = DailyReport.objects.select_for_update().filter(pk=report.pk, owner=actor).first()
    if report is None:
        raise PermissionDenied(_("You may change only your own daily report."))
    errors: dict[str, list] = {}
    unknown = sorted(set(changes) - set(TEXT_FIELDS))
    for name in unknown:
        errors.setdefault(name, []).append(_("Unknown field."))
    if report.day not in writable_days():
        errors.setdefault("day", []).append(
            _("The report of %(day)s can no longer be changed.") % {"day": report.day.isoformat()}
        )
    texts = _clean_texts(
        {k: v for k, v in changes.items() if k in TEXT_FIELDS}, errors, partial=True
    )
    if errors:
        raise ValidationError(errors)
    return _save(report, texts, actor, "updated")


def _save(report: DailyReport, texts: dict, actor, reason: str) -> DailyReport:
    for name, value in texts.items():
        setattr(report, name, value)
    report.snapshot = snapshot(report.owner_id, report.day)
    report.submitted_at = clock.now()
    save_with_history(report, actor, reason)
    events.emit(
        "daily_report.submitted",
        {"id": report.pk, "owner_id": report.owner_id, "day": report.day.isoformat()},
    )
    return report


# --- reads ----------------------------------------------------------------------------------
def visible_reports(user):
    """The daily reports ``user`` may read, newest day first."""
    return DailyReport.objects.visible_to(user).select_related("owner", "owner__team")


def daily_report_filterset(*, user, data):
    """The filterset over the reports ``user`` may read (``.qs`` once valid)."""
    from .filters_daily import DailyReportFilterSet

    return DailyReportFilterSet(
        data=data, queryset=visible_reports(user).order_by("-day", "owner__username")
    )


def daily_report_get(*, user, pk: int) -> DailyReport:
    return visible_reports(user).get(pk=pk)


def own_report(user, day: dt.date) -> DailyReport | None:
    return DailyReport.objects.filter(owner=user, day=day).first()


def reports_between(first: dt.date, last: dt.date, owner_ids=None):
    """The reports of the days, texts only (the weekly report's highlights)."""
    qs = DailyReport.objects.filter(day__gte=first, day__lte=last).only(
        "id", "owner_id", "day", "done", "plans", "help_needed", "forecast_changes"
    )
    if owner_ids is not None:
        qs = qs.filter(owner_id__in=list(owner_ids))
    return qs.order_by("owner_id", "day")


def reported_owner_ids(day: dt.date) -> set[int]:
    """Who has written the report of ``day`` (the reminder rule reads it)."""
    return set(DailyReport.objects.filter(day=day).values_list("owner_id", flat=True))


def prefill_done(owner_id: int, day: dt.date) -> str:
    """ "What was done", drafted from the day's data: the activities by kind and effective
    touches, the accounts and leads worked on, the stage changes and closed deals of the
    rep's deals. The rep edits it before sending."""
    found = day_figures.figures(day, day, [owner_id]).get(owner_id, day_figures.Figures())
    detail = day_figures.day_detail(owner_id, day)
    kinds = dict(ActivityKind.choices)
    lines = []
    parts = [f"{kinds[k]} {n}" for k, n in found.by_kind.items() if n and k in kinds]
    if parts:
        lines.append(
            _("Activities: %(parts)s; effective touches: %(effective)d.")
            % {"parts": ", ".join(parts), "effective": found.effective}
        )
    else:
        lines.append(_("No activities recorded."))
    if detail.touched:
        lines.append(
            _("Worked on: %(names)s.")
            % {"names": ", ".join(f"{name} ×{n}" for name, n, _e in detail.touched[:10])}
        )
    for deal, before, after, _direction in detail.moves:
        lines.append(
            _("Deal %(deal)s: %(before)s → %(after)s.")
            % {"deal": deal, "before": before or "-", "after": after}
        )
    for deal, amount in detail.won:
        lines.append(_("Won %(deal)s (¥%(amount)s).") % {"deal": deal, "amount": f"{amount:,.2f}"})
    for deal, amount in detail.lost:
        lines.append(_("Lost %(deal)s (¥%(amount)s).") % {"deal": deal, "amount": f"{amount:,.2f}"})
    text = "\n".join(lines)
    return text[:DAILY_REPORT_TEXT_MAX]
