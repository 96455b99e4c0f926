"""Target health (SPEC T4): per rep and per team of a plan, at an instant.

For a decomposed or published plan, reading the allocation version in force
(``plan.version``), at ``at`` (default now; days in the organisation's time zone):

* **target for the year** — Σ the reps' allocation amounts; a team sums every rep whose
  allocation team lies in its subtree (the team itself and every team below it).
* **target to date** — Σ the allocation's monthly amounts of the fiscal months up to and
  including the current month (the current month counts whole, not prorated). An
  allocation without monthly amounts counts ``amount × months ÷ 12``.
* **achieved** — the plan's measure (payments received or signed contract amount,
  :mod:`.measures`) of each rep from the fiscal year's first day through today inclusive
  (or through the fiscal year's last day once it is over), in the plan's product line.
* **qualified pipeline** (D8) — Σ amount of the reps' open deals that are qualified (need,
  budget and decision maker confirmed), in the plan's product line.
* **gap** = max(target for the year − achieved, 0).
* **coverage** = qualified pipeline ÷ gap, two places; no gap → ``None`` ("target reached").
* **completion** = achieved ÷ target for the year (1 when the target is 0).
* **status** — red when coverage < ``coverage_red``, amber when below ``coverage_amber``,
  green otherwise; a reached target is green.

Queries: the allocations, the tree's teams, one grouped query for the measure and one for
the pipeline — for every rep at once, whatever the size of the tree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum
from django.utils import timezone

from salesops.core import clock
from salesops.org.models import Team
from salesops.pipeline.models import Deal

from . import measures
from .models import Allocation, HealthStatus, PlanState, TargetPlan, TargetPolicy

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
RATIO = Decimal("0.0001")
HEALTH_STATES = (PlanState.DECOMPOSED, PlanState.PUBLISHED)


@dataclass
class Figures:
    target_year: Decimal = ZERO
    target_to_date: Decimal = ZERO
    achieved: Decimal = ZERO
    qualified_pipeline: Decimal = ZERO
    gap: Decimal = ZERO
    coverage: Decimal | None = None
    completion: Decimal = ZERO
    status: str = HealthStatus.GREEN

    def add(self, other: Figures) -> None:
        self.target_year += other.target_year
        self.target_to_date += other.target_to_date
        self.achieved += other.achieved
        self.qualified_pipeline += other.qualified_pipeline

    def finish(self, policy: TargetPolicy) -> Figures:
        """Gap, coverage, completion and status from the four sums."""
        self.gap = max(self.target_year - self.achieved, ZERO).quantize(CENT)
        self.coverage = coverage(self.qualified_pipeline, self.gap)
        if self.target_year > 0:
            self.completion = (self.achieved / self.target_year).quantize(RATIO, ROUND_HALF_UP)
        else:
            self.completion = Decimal("1.0000")
        self.status = status(self.coverage, policy)
        return self

    @property
    def reached(self) -> bool:
        return self.coverage is None

    @property
    def completion_percent(self) -> Decimal:
        return (self.completion * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass
class TeamRow:
    team: Team
    figures: Figures
    reps: int = 0


@dataclass
class RepRow:
    allocation: Allocation
    figures: Figures

    @property
    def rep(self):
        return self.allocation.rep

    @property
    def team_id(self) -> int:
        return self.allocation.team_id


@dataclass
class Health:
    plan: TargetPlan
    today: dt.date
    month: dt.date
    version: int
    policy: TargetPolicy
    teams: list[TeamRow] = field(default_factory=list)
    reps: list[RepRow] = field(default_factory=list)

    def team_row(self, team_id: int) -> TeamRow | None:
        return next((row for row in self.teams if row.team.pk == team_id), None)

    def reps_of(self, team: Team) -> list[RepRow]:
        """The rep rows whose allocation team is ``team`` or below it."""
        paths = {row.team.pk: row.team.path for row in self.teams}
        return [r for r in self.reps if paths.get(r.team_id, "").startswith(team.path)]

    @property
    def red_teams(self) -> list[TeamRow]:
        return [row for row in self.teams if row.figures.status == HealthStatus.RED]


def coverage(qualified: Decimal, gap: Decimal) -> Decimal | None:
    if gap <= 0:
        return None
    return (qualified / gap).quantize(CENT, ROUND_HALF_UP)


def status(value: Decimal | None, policy: TargetPolicy) -> str:
    if value is None:
        return HealthStatus.GREEN
    if value < policy.coverage_red:
        return HealthStatus.RED
    if value < policy.coverage_amber:
        return HealthStatus.AMBER
    return HealthStatus.GREEN


def has_health(plan: TargetPlan) -> bool:
    return plan.state in HEALTH_STATES


def _money(value) -> Decimal:
    try:
        return Decimal(str(value)).quantize(CENT)
    except (ArithmeticError, ValueError, TypeError):
        return ZERO


def monthly_amounts(allocation_monthly, amount: Decimal, months: list[dt.date]) -> list[Decimal]:
    """The allocation's amount per fiscal month, in fiscal order. Accepts a list of
    amounts (fiscal order) or of ``{"month": "YYYY-MM[-DD]", "amount": …}``; without one,
    ``amount ÷ 12`` each month with the rounding remainder on the last month."""
    values = list(allocation_monthly or [])
    if values and all(isinstance(v, dict) for v in values):
        by_month = {}
        for item in values:
            key = str(item.get("month", ""))[:7]
            by_month[key] = _money(item.get("amount"))
        return [by_month.get(f"{m:%Y-%m}", ZERO) for m in months]
    if values:
        padded = [_money(v) for v in values[: len(months)]]
        return padded + [ZERO] * (len(months) - len(padded))
    each = (amount / len(months)).quantize(CENT, ROUND_HALF_UP)
    return [each] * (len(months) - 1) + [amount - each * (len(months) - 1)]


def local_day(at: dt.datetime | None) -> dt.date:
    return timezone.localtime(at or clock.now()).date()


def qualified_rows(owner_ids, product_line: str = ""):
    """Σ amount of the owners' open qualified deals, per owner: answered from the partial
    index ``deal_qualified_open`` alone (pipeline 0003)."""
    rows = Deal.objects.open().qualified().filter(owner_id__in=list(owner_ids))
    if product_line:
        rows = rows.filter(product_line=product_line)
    return rows.order_by().values("owner_id").annotate(s=Sum("amount"))


def qualified_by_owner(owner_ids, product_line: str = "") -> dict[int, Decimal]:
    grouped = qualified_rows(owner_ids, product_line)
    return {row["owner_id"]: _money(row["s"] or ZERO) for row in grouped}


def compute(
    plan: TargetPlan, *, at: dt.datetime | None = None, policy: TargetPolicy | None = None
) -> Health:
    """Every team of the plan's tree and every rep of its version in force."""
    policy = policy or TargetPolicy.current()
    today = local_day(at)
    months = measures.fiscal_months(plan.fiscal_year, policy)
    start, end = measures.fiscal_range(plan.fiscal_year, policy)
    month = min(max(today.replace(day=1), months[0]), months[-1])
    elapsed = 0 if today < start else sum(1 for m in months if m <= today)
    result = Health(plan=plan, today=today, month=month, version=plan.version, policy=policy)

    teams = list(Team.objects.filter(path__startswith=plan.team.path).order_by("path"))
    allocations = list(
        Allocation.objects.filter(plan=plan, version=plan.version)
        .select_related("rep", "team")
        .order_by("team__path", "rep__display_name", "rep_id")
    )
    rep_ids = [a.rep_id for a in allocations]
    achieved: dict[int, Decimal] = {}
    if rep_ids and today >= start:
        until = min(today + dt.timedelta(days=1), end)
        achieved = measures.by_owner(
            plan.measure,
            start=start,
            end=until,
            product_line=plan.product_line,
            owner_ids=rep_ids,
        )
    pipeline = qualified_by_owner(rep_ids, plan.product_line) if rep_ids else {}

    team_rows = {t.pk: TeamRow(team=t, figures=Figures()) for t in teams}
    for allocation in allocations:
        amount = _money(allocation.amount)
        per_month = monthly_amounts(allocation.monthly, amount, months)
        figures = Figures(
            target_year=amount,
            target_to_date=sum(per_month[:elapsed], ZERO),
            achieved=achieved.get(allocation.rep_id, ZERO),
            qualified_pipeline=pipeline.get(allocation.rep_id, ZERO),
        ).finish(policy)
        result.reps.append(RepRow(allocation=allocation, figures=figures))
        # The allocation's team and every team above it within the plan's tree.
        for part in allocation.team.path.strip("/").split("/"):
            row = team_rows.get(int(part)) if part.isdigit() else None
            if row is not None:
                row.figures.add(figures)
                row.reps += 1
    for row in team_rows.values():
        row.figures.finish(policy)
    result.teams = list(team_rows.values())
    return result


# --- who sees which rows --------------------------------------------------------------
def visible_team_ids(user, plan: TargetPlan, team_paths: dict[int, str]) -> set[int]:
    """The team rows of ``plan``'s tree that ``user`` sees (``team_paths``: id → path of
    the tree's teams): everything for the roles that see everything, a manager their
    subtree, anyone else their own team's row. Ask ``permissions.visible_plans`` first."""
    if user.sees_everything:
        return set(team_paths)
    team = getattr(user, "team", None)
    if team is None:
        return set()
    if user.is_manager_role:
        return {pk for pk, path in team_paths.items() if path.startswith(team.path)}
    return {team.pk} & set(team_paths)
