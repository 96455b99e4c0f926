"""The morning heatmap (SPEC A4, 昨日关键动作热力图): effective touches per rep and per
hour of one day, for one team and every team below it.

The cells are read from the activity rollup (``activities.selectors.rollup_hours``: one
row per rep and hour that had activities), never from the raw activities, so a team-day
costs a few hundred rows at millions of activities.

Who opens which team (:func:`heatmap_teams`):

* directors, admins and finance: every team;
* a manager: the teams they manage and everything below them (the subtree they see);
* reps and customer success: nobody's — the heatmap is the manager's morning-meeting
  tool; a rep reads their own touches on their home page. The page answers 403.

Rows are the reps of the team's subtree (role "sales rep", active), plus anyone else
in the subtree who logged activities that day (a manager who sells too), so the cells
always add up to the team's total. Columns are the working hours of Settings ·
Organisation with a margin (two hours before the start, four after the end: 07–21 for
09:00–18:00), widened to every hour that has activities that day.

The default day is the previous *working* day (Chinese calendar with make-up days and
the admin's holidays): on Monday it is Friday; after a holiday, the last workday before
it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import F

from salesops.activities import selectors as activity_selectors
from salesops.core import clock, orgsettings
from salesops.core.calendar import default_calendar
from salesops.core.visibility import visible_owner_ids
from salesops.org.models import Role, Team, User

from .pipeline_common import visible_teams

# Hours shown around the working day (Settings · Organisation): before its start, after its end.
MARGIN_BEFORE = 2
MARGIN_AFTER = 4
# The widest look-back for "the previous working day" (a long holiday is 9 days).
MAX_LOOKBACK = 60


# --- days ----------------------------------------------------------------------------------
def previous_workday(day: dt.date) -> dt.date:
    """The last working day before ``day`` (Friday for a Monday, the last workday before
    a holiday)."""
    cal = default_calendar()
    candidate = day - dt.timedelta(days=1)
    for _step in range(MAX_LOOKBACK):
        if cal.is_workday(candidate):
            return candidate
        candidate -= dt.timedelta(days=1)
    return day - dt.timedelta(days=1)


def next_workday(day: dt.date) -> dt.date:
    return default_calendar().next_workday(day)


def default_day(today: dt.date | None = None) -> dt.date:
    """The day the morning heatmap shows: the previous working day."""
    return previous_workday(today or clock.today())


def is_workday(day: dt.date) -> bool:
    return default_calendar().is_workday(day)


def hour_range() -> list[int]:
    """The hours shown by default: the working day of Settings · Organisation with a margin."""
    policy = orgsettings.current()
    first = max(policy.work_start.hour - MARGIN_BEFORE, 0)
    end_hour = policy.work_end.hour + (1 if policy.work_end.minute else 0)
    last = min(end_hour + MARGIN_AFTER - 1, 23)
    return list(range(first, last + 1))


# --- who sees which team -------------------------------------------------------------------
def may_open(user) -> bool:
    """Managers and those who see everyone open the heatmap; reps do not."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return bool(user.sees_everything or user.is_manager_role)


def heatmap_teams(user):
    """The teams ``user`` may open, in tree order."""
    if not may_open(user):
        return Team.objects.none()
    return visible_teams(user)


def default_team(user) -> Team | None:
    """The manager's own team (the highest one they manage), else the top of the tree."""
    teams = heatmap_teams(user)
    managed = teams.filter(manager=user).order_by("path").first()
    if managed is not None:
        return managed
    if user.team_id and teams.filter(pk=user.team_id).exists():
        return user.team
    return teams.first()


# --- the grid ------------------------------------------------------------------------------
class Cell(NamedTuple):
    hour: int
    activities: int
    effective: int


@dataclass
class HeatRow:
    user: User
    cells: list[Cell]  # one per shown hour
    effective: int = 0
    activities: int = 0

    @property
    def is_rep(self) -> bool:
        return self.user.role == Role.REP


@dataclass
class Heatmap:
    team: Team
    day: dt.date
    hours: list[int]
    rows: list[HeatRow] = field(default_factory=list)
    hour_effective: list[int] = field(default_factory=list)
    hour_activities: list[int] = field(default_factory=list)

    @property
    def effective(self) -> int:
        return sum(self.hour_effective)

    @property
    def activities(self) -> int:
        return sum(self.hour_activities)

    @property
    def idle_reps(self) -> list[User]:
        """The reps without a single effective touch that day."""
        return [row.user for row in self.rows if row.is_rep and not row.effective]

    @property
    def peak(self) -> int:
        return max((cell.effective for row in self.rows for cell in row.cells), default=0)

    @property
    def columns(self) -> list[dict]:
        """The hours with their totals, for the table's footer."""
        return [
            {"hour": hour, "effective": e, "activities": n}
            for hour, e, n in zip(
                self.hours, self.hour_effective, self.hour_activities, strict=True
            )
        ]

    def chart(self) -> dict:
        """What the ECharts heatmap draws: ``[hour index, row index, effective,
        activities]`` per cell (rows top to bottom as in the table)."""
        names = [row.user.label for row in self.rows]
        data = [
            [x, y, cell.effective, cell.activities]
            for y, row in enumerate(self.rows)
            for x, cell in enumerate(row.cells)
        ]
        return {
            "hours": [f"{h:02d}" for h in self.hours],
            "reps": names,
            "data": data,
            "max": max(self.peak, 1),
        }


def team_members(team: Team, *, viewer=None) -> list[User]:
    """The users of ``team`` and its subtree that the heatmap may show (``viewer``'s
    scope applied when given)."""
    qs = User.objects.filter(team__path__startswith=team.path)
    if viewer is not None:
        ids = visible_owner_ids(viewer)
        if ids is not None:
            qs = qs.filter(pk__in=ids)
    return list(qs.order_by("display_name", "username"))


def team_heatmap(team: Team, day: dt.date, *, viewer=None) -> Heatmap:
    """The heatmap of ``team`` (with its subtree) on ``day`` (local date)."""
    members = team_members(team, viewer=viewer)
    cells = activity_selectors.rollup_hours(day, [u.pk for u in members])
    shown = [u for u in members if (u.role == Role.REP and u.is_active) or cells.get(u.pk)]
    wanted = set(hour_range()) | {hour for by_hour in cells.values() for hour in by_hour}
    hours = list(range(min(wanted), max(wanted) + 1))  # contiguous: a gap would mislead
    heatmap = Heatmap(team=team, day=day, hours=hours)
    hour_effective = [0] * len(hours)
    hour_activities = [0] * len(hours)
    for user in shown:
        by_hour = cells.get(user.pk, {})
        row = HeatRow(user=user, cells=[Cell(h, *by_hour.get(h, (0, 0))) for h in hours])
        for index, cell in enumerate(row.cells):
            row.activities += cell.activities
            row.effective += cell.effective
            hour_activities[index] += cell.activities
            hour_effective[index] += cell.effective
        heatmap.rows.append(row)
    heatmap.hour_effective = hour_effective
    heatmap.hour_activities = hour_activities
    return heatmap


def heatmap_for(*, user, team_id: int | None, day: dt.date) -> Heatmap:
    """The heatmap of a team ``user`` may open (``Team.DoesNotExist`` otherwise → 404)."""
    teams = heatmap_teams(user)
    team = teams.get(pk=team_id) if team_id is not None else default_team(user)
    if team is None:
        raise Team.DoesNotExist
    return team_heatmap(team, day, viewer=user)


# --- the morning message -------------------------------------------------------------------
def manager_teams() -> list[tuple[User, Team]]:
    """``(manager, team)`` for every active manager and each team they manage that is
    not below another team they manage (one message per subtree)."""
    teams = list(
        Team.objects.filter(manager__isnull=False, manager__is_active=True)
        .select_related("manager")
        .order_by("manager_id", "path")
    )
    out: list[tuple[User, Team]] = []
    tops: dict[int, list[str]] = {}
    for team in teams:
        paths = tops.setdefault(team.manager_id, [])
        if any(team.path.startswith(p) for p in paths):
            continue
        paths.append(team.path)
        out.append((team.manager, team))
    return out


def team_day_summaries(teams, day: dt.date) -> dict[int, tuple[int, list[User]]]:
    """``{team id: (effective touches, reps without any)}`` of each team's subtree on
    ``day``: the one-line summaries of the morning message. Two queries whatever the
    number of teams (the day's touches per rep from the rollup, the users with a team)."""
    touches = activity_selectors.effective_touch_counts(day)
    users = list(
        User.objects.filter(team__isnull=False)
        .annotate(team_path=F("team__path"))
        .order_by("display_name", "username")
    )
    out = {}
    for team in teams:
        members = [u for u in users if u.team_path.startswith(team.path)]
        total = sum(touches.get(u.pk, 0) for u in members)
        idle = [u for u in members if u.role == Role.REP and u.is_active and not touches.get(u.pk)]
        out[team.pk] = (total, idle)
    return out
