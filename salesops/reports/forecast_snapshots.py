"""Weekly forecast snapshots and forecast accuracy (SPEC D6).

Every Monday the ``reports.forecast_snapshot`` sweep (run by the worker every hour, and
by ``salesops tick``) stores, per rep and close month, what the open deals forecast that
day (:class:`~salesops.reports.models.ForecastSnapshot`); ``salesops forecast_snapshot``
takes one by hand. Taking the same day twice changes nothing.

**Accuracy** of a closed month, for a rep or a team, N weeks ahead (shown on the page):
the forecast is the weighted pipeline of the latest snapshot taken on or before the
month's last day minus N weeks; the actual is the amount of the deals won (closed) in
the month::

    accuracy = max(0, 1 − |actual − forecast| ÷ actual)      (100 % when both are 0,
                                                              0 % when only actual is 0)
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone

from salesops.core import clock, sweeps
from salesops.org.models import Team, User
from salesops.pipeline.models import CommitCategory, Deal, DealStatus

from .models import ForecastSnapshot
from .pipeline_forecast import ZERO, Figures, grouped, open_deals

SWEEP_NAME = "reports.forecast_snapshot"
SNAPSHOT_WEEKDAY = 0  # Monday


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=(day.weekday() - SNAPSHOT_WEEKDAY) % 7)


@transaction.atomic
def take_snapshot(*, on: dt.date | None = None) -> int | None:
    """Store the forecast of every rep's open deals per close month as of ``on`` (today by
    default); return the rows written, ``None`` if the day was taken already."""
    on = on or clock.today()
    if ForecastSnapshot.objects.filter(taken_on=on).exists():
        return None
    cells: dict = defaultdict(Figures)
    for row in grouped(open_deals()):
        month = row["month"]
        if month is None:
            continue  # no close date: nothing to measure against
        if isinstance(month, dt.datetime):
            month = month.date()
        cells[(row["owner_id"], month)].add(
            row["commit_category"], row["n"], row["total"], row["weighted"]
        )
    teams = dict(User.objects.filter(pk__in={o for o, _m in cells}).values_list("pk", "team_id"))
    rows = [
        ForecastSnapshot(
            taken_on=on,
            owner_id=owner_id,
            team_id=teams.get(owner_id),
            period_start=month,
            deals=figures.deals,
            amount=figures.amount,
            weighted=figures.weighted,
            commit=figures.commit,
            best_case=figures.best_case,
            pipeline=figures.category_amount(CommitCategory.PIPELINE),
        )
        for (owner_id, month), figures in cells.items()
    ]
    ForecastSnapshot.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


@sweeps.sweep(SWEEP_NAME, every_minutes=60, description="Take the weekly forecast snapshot.")
def forecast_snapshot_sweep(now) -> str:
    """On the snapshot weekday (Monday), once: the week's forecast snapshot."""
    today = timezone.localtime(now).date()
    if today.weekday() != SNAPSHOT_WEEKDAY:
        return "not the snapshot day"
    written = take_snapshot(on=today)
    return "taken already" if written is None else f"snapshot of {today}: {written} row(s)"


def accuracy(actual: Decimal, forecast: Decimal) -> float | None:
    """See the module docstring; a percentage with one decimal."""
    actual, forecast = Decimal(actual or 0), Decimal(forecast or 0)
    if actual == 0:
        return 100.0 if forecast == 0 else 0.0
    value = 1 - abs(actual - forecast) / actual
    return round(float(max(value, Decimal(0))) * 100, 1)


def month_end(month: dt.date) -> dt.date:
    following = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


@dataclass
class AccuracyRow:
    label: str
    team: Team | None
    owner: User | None
    forecast: Decimal
    actual: Decimal

    @property
    def accuracy(self) -> float | None:
        return accuracy(self.actual, self.forecast)


@dataclass
class AccuracyReport:
    month: dt.date
    weeks: int
    taken_on: dt.date | None
    owners: list
    teams: list
    total: AccuracyRow | None


def accuracy_report(*, month: dt.date, weeks: int, owner_ids=None) -> AccuracyReport:
    """Forecast vs won for close month ``month`` (its first day), per rep and team."""
    cutoff = month_end(month) - dt.timedelta(weeks=weeks)
    snapshots = ForecastSnapshot.objects.filter(period_start=month, taken_on__lte=cutoff)
    if owner_ids is not None:
        snapshots = snapshots.filter(owner_id__in=owner_ids)
    taken_on = snapshots.aggregate(day=Max("taken_on"))["day"]
    forecast = {}
    team_of = {}
    if taken_on is not None:
        for owner_id, team_id, weighted in snapshots.filter(taken_on=taken_on).values_list(
            "owner_id", "team_id", "weighted"
        ):
            forecast[owner_id] = weighted
            team_of[owner_id] = team_id
    tz = timezone.get_default_timezone()
    start = timezone.make_aware(dt.datetime.combine(month, dt.time.min), tz)
    after = timezone.make_aware(
        dt.datetime.combine(month_end(month) + dt.timedelta(days=1), dt.time.min), tz
    )
    won = Deal.objects.filter(status=DealStatus.WON, closed_at__gte=start, closed_at__lt=after)
    if owner_ids is not None:
        won = won.filter(owner_id__in=owner_ids)
    actual = dict(
        won.order_by().values("owner_id").annotate(s=Sum("amount")).values_list("owner_id", "s")
    )
    owner_pks = set(forecast) | set(actual)
    users = User.objects.select_related("team").in_bulk(list(owner_pks))
    for pk in owner_pks - set(team_of):
        team_of[pk] = users[pk].team_id if pk in users else None
    owners = [
        AccuracyRow(
            label=users[pk].label if pk in users else str(pk),
            team=None,
            owner=users.get(pk),
            forecast=forecast.get(pk, ZERO),
            actual=actual.get(pk, ZERO),
        )
        for pk in sorted(owner_pks, key=lambda pk: users[pk].label if pk in users else "")
    ]
    teams = _team_rows(owners, team_of)
    total = None
    if owners:
        total = AccuracyRow(
            label="",
            team=None,
            owner=None,
            forecast=sum((r.forecast for r in owners), ZERO),
            actual=sum((r.actual for r in owners), ZERO),
        )
    return AccuracyReport(month, weeks, taken_on, owners, teams, total)


def _team_rows(owners: list[AccuracyRow], team_of: dict) -> list[AccuracyRow]:
    """Each team's sums over the reps whose team (on the snapshot day) is in its subtree."""
    teams = {team.pk: team for team in Team.objects.all()}
    sums: dict = defaultdict(lambda: [ZERO, ZERO])
    for row in owners:
        team = teams.get(team_of.get(row.owner.pk if row.owner else None))
        if team is None:
            continue
        for part in team.path.strip("/").split("/"):
            if part and int(part) in teams:
                sums[int(part)][0] += row.forecast
                sums[int(part)][1] += row.actual
    return [
        AccuracyRow(label=teams[pk].name, team=teams[pk], owner=None, forecast=f, actual=a)
        for pk, (f, a) in sorted(sums.items(), key=lambda kv: teams[kv[0]].path)
    ]
