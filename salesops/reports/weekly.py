"""The weekly report (周报, SPEC A7): per rep and per team for one ISO week.

Assembled on request from the data, never typed: the totals come from
``activities.figures`` (the activity rollup plus grouped queries on activities, leads,
deals and stage changes — a fixed number of queries whatever the number of reps), the
highlights from the reps' daily reports and the deals won, the forecast roll-up from the
pipeline forecast (``reports.pipeline_forecast``: the open deals closing in the week's
quarter, commit and best case by the owners' calls), and the missing daily reports from
the working days of the Chinese calendar (``core.calendar``) up to today, leave excepted.

Why computed and not a stored snapshot: every number stays equal to the daily data it
sums (a late check-in or a corrected activity shows at once), and the rollup makes the
read cheap. What a rep saw when writing is frozen anyway in each daily report's
``snapshot``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from salesops.activities import daily_reports
from salesops.activities import figures as day_figures
from salesops.activities.selectors import day_start, rollup_days
from salesops.core import calendar, clock
from salesops.org.models import LeavePeriod, Role, Team, User
from salesops.pipeline.models import Deal, DealStatus

from . import pipeline_forecast

WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


def week_of(day: dt.date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(text: str) -> tuple[dt.date, dt.date]:
    """Monday and Sunday of ``"2026-W49"``; ValueError with a message otherwise."""
    match = WEEK.match((text or "").strip())
    if not match:
        raise ValueError(_("Enter the week as YYYY-Www, e.g. 2026-W49."))
    year, week = int(match.group(1)), int(match.group(2))
    try:
        monday = dt.date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ValueError(
            _("Week %(week)d does not exist in %(year)d.") % {"week": week, "year": year}
        ) from None
    return monday, monday + dt.timedelta(days=6)


@dataclass
class RepWeek:
    user: User
    figures: day_figures.Figures
    days: dict  # {day: (activities, effective)} from the rollup
    reports: list  # the rep's daily reports of the week, by day
    missing: list  # working days without a report (up to today)
    forecast: pipeline_forecast.Figures


@dataclass
class TeamWeek:
    team: Team | None
    figures: day_figures.Figures = field(default_factory=day_figures.Figures)
    forecast: pipeline_forecast.Figures = field(default_factory=pipeline_forecast.Figures)
    reps: int = 0
    reports: int = 0
    missing: int = 0


@dataclass
class WeeklyReport:
    week: str
    first: dt.date
    last: dt.date
    workdays: list
    reps: list = field(default_factory=list)
    teams: list = field(default_factory=list)
    total: day_figures.Figures = field(default_factory=day_figures.Figures)
    forecast_total: pipeline_forecast.Figures = field(default_factory=pipeline_forecast.Figures)
    won: list = field(default_factory=list)  # [(deal, owner)]
    quarter: str = ""

    @property
    def missing_count(self) -> int:
        return sum(len(r.missing) for r in self.reps)

    @property
    def report_count(self) -> int:
        return sum(len(r.reports) for r in self.reps)


def _quarter(day: dt.date) -> tuple[dt.date, dt.date]:
    start = pipeline_forecast.period_start(day, "quarter")
    month = start.month + 3
    after = dt.date(start.year + (month > 12), (month - 1) % 12 + 1, 1)
    return start, after - dt.timedelta(days=1)


def _reps(owner_ids, with_figures) -> list[User]:
    """The reps the week covers: active reps in scope, plus anyone in scope with figures
    (a manager who sold himself)."""
    users = User.objects.select_related("team")
    if owner_ids is not None:
        users = users.filter(pk__in=list(owner_ids))
    chosen = users.filter(is_active=True, role=Role.REP) | users.filter(pk__in=list(with_figures))
    return sorted(chosen.distinct(), key=lambda u: (u.team.path if u.team_id else "~", u.label))


def _leave_days(first: dt.date, last: dt.date, owner_ids) -> dict[int, set]:
    periods = LeavePeriod.objects.filter(starts_on__lte=last, ends_on__gte=first)
    if owner_ids is not None:
        periods = periods.filter(user_id__in=list(owner_ids))
    days: dict[int, set] = defaultdict(set)
    for user_id, start, end in periods.values_list("user_id", "starts_on", "ends_on"):
        day = max(start, first)
        while day <= min(end, last):
            days[user_id].add(day)
            day += dt.timedelta(days=1)
    return days


def weekly_report(*, first: dt.date, owner_ids=None) -> WeeklyReport:
    """The week starting Monday ``first`` for the reps in ``owner_ids`` (everyone when
    None; callers pass the visibility-scoped ids)."""
    last = first + dt.timedelta(days=6)
    today = clock.today()
    workdays = [
        first + dt.timedelta(days=i)
        for i in range(7)
        if calendar.is_workday(first + dt.timedelta(days=i))
    ]
    by_owner = day_figures.figures(first, last, owner_ids)
    reps = _reps(owner_ids, by_owner)
    rep_ids = [u.pk for u in reps]
    days = rollup_days(first, last, rep_ids)
    reports: dict[int, list] = defaultdict(list)
    for report in daily_reports.reports_between(first, last, rep_ids):
        reports[report.owner_id].append(report)
    leave = _leave_days(first, last, rep_ids)
    q_start, q_end = _quarter(first)
    forecast = pipeline_forecast.forecast(
        owner_ids=rep_ids, granularity="quarter", start=q_start, end=q_end
    )
    forecast_by_owner = {user.pk: figures for user, figures in forecast.owners}
    result = WeeklyReport(
        week=week_of(first),
        first=first,
        last=last,
        workdays=workdays,
        quarter=pipeline_forecast.period_label(q_start, "quarter"),
    )
    for user in reps:
        written = {r.day for r in reports[user.pk]}
        missing = [
            d
            for d in workdays
            if d <= today
            and d not in written
            and d not in leave.get(user.pk, ())
            and (user.role == Role.REP)
        ]
        rep = RepWeek(
            user=user,
            figures=by_owner.get(user.pk, day_figures.Figures()),
            days=days.get(user.pk, {}),
            reports=reports[user.pk],
            missing=missing,
            forecast=forecast_by_owner.get(user.pk, pipeline_forecast.Figures()),
        )
        result.reps.append(rep)
        result.total.merge(rep.figures)
        result.forecast_total.merge(rep.forecast)
    result.teams = _teams(result.reps)
    won = Deal.objects.filter(
        status=DealStatus.WON,
        closed_at__gte=day_start(first),
        closed_at__lt=day_start(last + dt.timedelta(days=1)),
        owner_id__in=rep_ids,
    ).select_related("owner", "account")
    won = won.only(
        "name", "amount", "closed_at", "owner__username", "owner__display_name", "account__name"
    )
    result.won = list(won.order_by("-amount", "id"))
    return result


def _teams(reps: list[RepWeek]) -> list[TeamWeek]:
    """Each team's week: its members' and those of every team below it."""
    teams = {team.pk: team for team in Team.objects.all()}
    totals: dict = {}
    for rep in reps:
        keys = [None]
        if rep.user.team_id is not None:
            keys = [int(part) for part in rep.user.team.path.strip("/").split("/") if part] or [
                rep.user.team_id
            ]
        for key in keys:
            if key is not None and key not in teams:
                continue
            row = totals.setdefault(key, TeamWeek(team=teams.get(key) if key else None))
            row.figures.merge(rep.figures)
            row.forecast.merge(rep.forecast)
            row.reps += 1
            row.reports += len(rep.reports)
            row.missing += len(rep.missing)
    return sorted(totals.values(), key=lambda t: (t.team is None, getattr(t.team, "path", "")))
