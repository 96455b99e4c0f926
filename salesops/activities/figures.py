"""The figures of a rep's days (SPEC A7): what the daily report is prefilled with and
snapshots, and what the weekly report adds up.

One function, :func:`figures`, counts them for any range of local days and any set of
reps in a handful of grouped queries (never one query per rep):

* activities and effective touches from the rollup (``ActivityRollup``, kept equal to the
  raw rows), activities by kind from one ``GROUP BY owner, kind`` over the range's
  ``started_at`` (the ``act_started`` index);
* new leads (created in the range, by their owner), deals created, deals won and lost
  (``closed_at`` in the range) with their amounts, and applied stage changes (the deal
  owner's, creations excluded).

The weekly report is ``figures(monday, sunday)``; a daily report's snapshot is
``figures(day, day)``: summing the seven days gives the week (a test holds it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum

from salesops.leads.models import Lead
from salesops.pipeline.models import ChangeDirection, ChangeState, Deal, DealStatus, StageChange

from .models import Activity, ActivityKind, ActivityRollup
from .selectors import day_start

ZERO = Decimal("0.00")
COUNTS = (
    "activities",
    "effective",
    "new_leads",
    "deals_created",
    "deals_won",
    "deals_lost",
    "stage_changes",
)
AMOUNTS = ("deals_created_amount", "won_amount", "lost_amount")
KINDS = tuple(ActivityKind.values)  # read once: an enum's ``values`` is rebuilt per call


@dataclass
class Figures:
    """One rep's (or a team's) figures over a range of days."""

    by_kind: dict = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    activities: int = 0
    effective: int = 0
    new_leads: int = 0
    deals_created: int = 0
    deals_created_amount: Decimal = ZERO
    deals_won: int = 0
    won_amount: Decimal = ZERO
    deals_lost: int = 0
    lost_amount: Decimal = ZERO
    stage_changes: int = 0

    def merge(self, other: Figures) -> None:
        for kind, n in other.by_kind.items():
            self.by_kind[kind] = self.by_kind.get(kind, 0) + n
        for name in COUNTS + AMOUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_json(self) -> dict:
        data = {name: getattr(self, name) for name in COUNTS}
        data.update({name: str(getattr(self, name)) for name in AMOUNTS})
        data["by_kind"] = dict(self.by_kind)
        return data

    @classmethod
    def from_json(cls, data: dict) -> Figures:
        result = cls()
        for name in COUNTS:
            setattr(result, name, int(data.get(name) or 0))
        for name in AMOUNTS:
            setattr(result, name, Decimal(str(data.get(name) or "0")))
        for kind, n in (data.get("by_kind") or {}).items():
            result.by_kind[kind] = int(n or 0)
        return result

    @property
    def kind_counts(self) -> list[int]:
        """The activities by kind, in the kinds' order (a table's columns)."""
        return [self.by_kind.get(k, 0) for k in KINDS]

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in COUNTS)


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(ZERO)


def _bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return day_start(first), day_start(last + dt.timedelta(days=1))


def _scoped(qs, path: str, owner_ids):
    if owner_ids is None:
        return qs
    return qs.filter(**{f"{path}__in": list(owner_ids)})


def figures(first: dt.date, last: dt.date, owner_ids=None) -> dict[int, Figures]:
    """``{owner_id: Figures}`` for the local days ``first``..``last`` (both included), for
    the given reps or everyone; reps without any figure are absent."""
    start, end = _bounds(first, last)
    result: dict[int, Figures] = {}

    def cell(owner_id) -> Figures:
        found = result.get(owner_id)
        if found is None:
            found = result[owner_id] = Figures()
        return found

    rollup = _scoped(
        ActivityRollup.objects.filter(day__gte=first, day__lte=last), "owner_id", owner_ids
    )
    for owner_id, n, effective in (
        rollup.values("owner_id").annotate(n=Sum("activities"), e=Sum("effective")).order_by()
    ).values_list("owner_id", "n", "e"):
        if n or effective:
            cell(owner_id).activities = n or 0
            cell(owner_id).effective = effective or 0
    kinds = _scoped(
        Activity.objects.filter(started_at__gte=start, started_at__lt=end), "owner_id", owner_ids
    )
    for owner_id, kind, n in (
        kinds.values("owner_id", "kind").annotate(n=Count("id")).order_by()
    ).values_list("owner_id", "kind", "n"):
        cell(owner_id).by_kind[kind] = n
    leads = _scoped(
        Lead.objects.filter(created_at__gte=start, created_at__lt=end, owner__isnull=False),
        "owner_id",
        owner_ids,
    )
    for owner_id, n in (
        leads.values("owner_id").annotate(n=Count("id")).order_by().values_list("owner_id", "n")
    ):
        cell(owner_id).new_leads = n
    created = _scoped(
        Deal.objects.filter(created_at__gte=start, created_at__lt=end), "owner_id", owner_ids
    )
    for owner_id, n, amount in (
        created.values("owner_id").annotate(n=Count("id"), a=Sum("amount")).order_by()
    ).values_list("owner_id", "n", "a"):
        cell(owner_id).deals_created = n
        cell(owner_id).deals_created_amount = _money(amount)
    closed = _scoped(
        Deal.objects.filter(
            closed_at__gte=start, closed_at__lt=end, status__in=(DealStatus.WON, DealStatus.LOST)
        ),
        "owner_id",
        owner_ids,
    )
    for owner_id, status, n, amount in (
        closed.values("owner_id", "status").annotate(n=Count("id"), a=Sum("amount")).order_by()
    ).values_list("owner_id", "status", "n", "a"):
        figures_ = cell(owner_id)
        if status == DealStatus.WON:
            figures_.deals_won, figures_.won_amount = n, _money(amount)
        else:
            figures_.deals_lost, figures_.lost_amount = n, _money(amount)
    moves = _scoped(
        StageChange.objects.filter(
            state=ChangeState.APPLIED, applied_at__gte=start, applied_at__lt=end
        ).exclude(direction=ChangeDirection.CREATED),
        "owner_id",
        owner_ids,
    )
    for owner_id, n in (
        moves.values("owner_id").annotate(n=Count("id")).order_by().values_list("owner_id", "n")
    ):
        cell(owner_id).stage_changes = n
    return result


def total(by_owner: dict[int, Figures], owner_ids=None) -> Figures:
    """The sum of the given reps' figures (everyone's when ``owner_ids`` is None)."""
    out = Figures()
    for owner_id, figures_ in by_owner.items():
        if owner_ids is None or owner_id in owner_ids:
            out.merge(figures_)
    return out


@dataclass
class DayDetail:
    """What a rep did on a day, for the daily report's prefill: the accounts and leads
    touched (with how often) and the stage changes of the rep's deals."""

    touched: list = field(default_factory=list)  # [(label, activities, effective)]
    moves: list = field(default_factory=list)  # [(deal name, from, to, direction label)]
    won: list = field(default_factory=list)  # [(deal name, amount)]
    lost: list = field(default_factory=list)


def day_detail(owner_id: int, day: dt.date, limit: int = 30) -> DayDetail:
    start, end = _bounds(day, day)
    detail = DayDetail()
    rows = (
        Activity.objects.filter(owner_id=owner_id, started_at__gte=start, started_at__lt=end)
        .values("account_id", "account__name", "lead_id", "lead__company", "lead__contact_name")
        .annotate(n=Count("id"), e=Count("id", filter=Q(effective=True)))
        .order_by("-n")[:limit]
    )
    for row in rows:
        if row["account_id"]:
            label = row["account__name"]
        elif row["lead_id"]:
            label = f"{row['lead__company']} · {row['lead__contact_name']}"
        else:
            continue
        detail.touched.append((label, row["n"], row["e"]))
    moves = (
        StageChange.objects.filter(
            owner_id=owner_id,
            state=ChangeState.APPLIED,
            applied_at__gte=start,
            applied_at__lt=end,
        )
        .exclude(direction=ChangeDirection.CREATED)
        .select_related("deal", "from_stage", "to_stage")
        .order_by("applied_at", "id")[:limit]
    )
    for move in moves:
        detail.moves.append(
            (
                move.deal.name,
                move.from_stage.name if move.from_stage_id else "",
                move.to_stage.name,
                move.get_direction_display(),
            )
        )
    closed = Deal.objects.filter(
        owner_id=owner_id, closed_at__gte=start, closed_at__lt=end
    ).values_list("name", "amount", "status")
    for name, amount, status in closed:
        if status == DealStatus.WON:
            detail.won.append((name, amount))
        elif status == DealStatus.LOST:
            detail.lost.append((name, amount))
    return detail
