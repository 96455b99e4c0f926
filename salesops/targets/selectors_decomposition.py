"""Reading a decomposition (T3) for the pages, the export and the API — always through
:func:`permissions.visible_allocations`: a rep sees their own row and their team's total
(their peers' rows only when the policy says so), a manager their reps and teams."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _

from salesops.core.money import format_cny
from salesops.org.models import Team

from . import measures, permissions
from .allocation import quarters
from .decomposition import medians_by_team, quadrant_label
from .models import Allocation, PlanState, Quadrant, TargetPlan, TargetPolicy

ZERO = Decimal("0.00")


def visible_rows(user, plan: TargetPlan, *, team_id: int | None = None, query: str = ""):
    rows = permissions.visible_allocations(user, plan).select_related("rep", "team")
    if team_id:
        rows = rows.filter(team_id=team_id)
    if query:
        rows = rows.filter(rep__display_name__icontains=query) | rows.filter(
            rep__username__icontains=query
        )
    return rows.order_by("team__path", "rep__display_name", "rep_id")


def team_totals(plan: TargetPlan, team_ids) -> dict[int, Decimal]:
    """Each listed team's total target in the plan's version in force (all its reps)."""
    rows = (
        Allocation.objects.filter(plan=plan, version=plan.version, team_id__in=list(team_ids))
        .values("team_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return {row["team_id"]: (row["total"] or ZERO).quantize(ZERO) for row in rows}


@dataclass
class TeamBlock:
    team: object
    rows: list = field(default_factory=list)
    total: Decimal = ZERO  # every rep of the team, seen or not
    visible_total: Decimal = ZERO
    medians: object = None

    @property
    def win_median(self) -> Decimal | None:
        if self.medians is None or self.medians.y is None:
            return None
        return (self.medians.y * 100).quantize(Decimal("0.01"))


def table(user, plan: TargetPlan, *, team_id: int | None = None, query: str = "") -> dict:
    """The decomposition page's rows grouped by team with subtotals, the chart's points
    and the medians. Subtotals cover the teams of the rows the user sees and their own."""
    policy = TargetPolicy.current()
    rows = list(visible_rows(user, plan, team_id=team_id, query=query))
    everything = list(Allocation.objects.filter(plan=plan, version=plan.version))
    medians, plan_medians = medians_by_team(everything)
    team_ids = {r.team_id for r in rows}
    own_team = getattr(user, "team_id", None)
    if own_team and any(a.team_id == own_team for a in everything):
        team_ids.add(own_team)
    totals = team_totals(plan, team_ids)
    blocks: dict[int, TeamBlock] = {}
    for row in rows:
        row.quadrant_label = quadrant_label(policy, row.quadrant)
        row.share_percent = (row.share * 100).quantize(Decimal("0.01"))
        row.win_percent = (
            (row.key_win_rate * 100).quantize(Decimal("0.01"))
            if row.key_win_rate is not None
            else None
        )
        block = blocks.setdefault(row.team_id, TeamBlock(team=row.team))
        block.rows.append(row)
        block.visible_total += row.amount
    for tid in team_ids - set(blocks):
        blocks[tid] = TeamBlock(team=Team.objects.get(pk=tid))
    for tid, block in blocks.items():
        block.total = totals.get(tid, ZERO)
        block.medians = medians.get(tid)
    chart = {
        "series": [
            {
                "code": code,
                "name": quadrant_label(policy, code),
                "points": [
                    [
                        float(r.median_deal) if r.median_deal is not None else 0,
                        float(r.key_win_rate * 100) if r.key_win_rate is not None else 0,
                        r.rep.label,
                    ]
                    for r in rows
                    if r.quadrant == code
                ],
            }
            for code in Quadrant.values
        ],
        "median_x": float(plan_medians.x) if plan_medians.x is not None else None,
        "median_y": float(plan_medians.y * 100) if plan_medians.y is not None else None,
    }
    return {
        "rows": rows,
        "teams": sorted(blocks.values(), key=lambda b: b.team.path),
        "medians": medians,
        "plan_medians": plan_medians,
        "chart": chart,
        "total": sum((a.amount for a in everything), ZERO),
        "count": len(everything),
    }


def explain(allocation: Allocation, *, policy: TargetPolicy | None = None) -> dict:
    """Why a rep got their number: their point, their team's medians, the quadrant and
    its weight, the share and the pool; months and quarters; the team's total."""
    policy = policy or TargetPolicy.current()
    plan = allocation.plan
    everything = list(Allocation.objects.filter(plan=plan, version=allocation.version))
    medians, _plan = medians_by_team(everything)
    months = [Decimal(m) for m in allocation.monthly]
    fiscal = measures.fiscal_months(plan.fiscal_year, policy)
    team_total = sum((a.amount for a in everything if a.team_id == allocation.team_id), ZERO)
    team_medians = medians.get(allocation.team_id)
    info = {
        "allocation": allocation,
        "plan": plan,
        "amount": allocation.amount,
        "months": list(zip(fiscal, months, strict=False)),
        "quarters": quarters(months) if len(months) == 12 else [],
        "team": allocation.team,
        "team_total": team_total,
        "median_deal": allocation.median_deal,
        "key_win_rate": allocation.key_win_rate,
        "key_win_percent": (allocation.key_win_rate * 100).quantize(Decimal("0.01"))
        if allocation.key_win_rate is not None
        else None,
        "has_history": allocation.median_deal is not None or allocation.key_win_rate is not None,
        "team_median_deal": team_medians.x if team_medians else None,
        "team_median_win": team_medians.y if team_medians else None,
        "team_median_win_percent": (team_medians.y * 100).quantize(Decimal("0.01"))
        if team_medians and team_medians.y is not None
        else None,
        "medians_scope": team_medians.scope if team_medians else "plan",
        "quadrant": allocation.quadrant,
        "quadrant_label": quadrant_label(policy, allocation.quadrant),
        "weight": allocation.weight,
        "total_weight": sum((a.weight for a in everything), Decimal(0)),
        "share_percent": (allocation.share * 100).quantize(Decimal("0.01")),
        "pool": plan.pool,
        "matrix_months": policy.matrix_months,
        "key_levels": policy.key_account_levels,
        "default_quadrant": allocation.quadrant == policy.default_quadrant,
        "adjusted": allocation.adjusted,
        "reason": allocation.reason,
        "published": plan.state == PlanState.PUBLISHED,
    }
    info["why"] = why(info)
    return info


def why(info: dict) -> list[str]:
    """The explanation of a rep's target in plain words, sentence by sentence."""
    sentences = [
        _("Your target in %(plan)s is %(amount)s: %(share)s%% of the pool of %(pool)s.")
        % {
            "plan": info["plan"].name,
            "amount": format_cny(info["amount"]),
            "share": info["share_percent"],
            "pool": format_cny(info["pool"]),
        }
    ]
    if not info["has_history"]:
        sentences.append(
            _(
                "You won no deal and closed no key-account deal in the last %(months)d "
                "months, so you start in the default quadrant “%(quadrant)s”."
            )
            % {"months": info["matrix_months"], "quadrant": info["quadrant_label"]}
        )
    else:
        x = format_cny(info["median_deal"]) if info["median_deal"] is not None else _("none")
        y = f"{info['key_win_percent']}%" if info["key_win_percent"] is not None else _("none")
        sentences.append(
            _(
                "Over the last %(months)d months the median deal you won was %(x)s, and "
                "your win rate on key accounts (levels %(levels)s) was %(y)s."
            )
            % {"months": info["matrix_months"], "x": x, "y": y, "levels": info["key_levels"]}
        )
        mx = info["team_median_deal"]
        my = info["team_median_win_percent"]
        medians = {
            "mx": format_cny(mx) if mx is not None else _("none"),
            "my": f"{my}%" if my is not None else _("none"),
        }
        if info["medians_scope"] == "team":
            text = _(
                "Your team's medians are %(mx)s and %(my)s; a value at or above the median "
                "counts as high, so you are in “%(quadrant)s”."
            )
        else:
            text = _(
                "Your team had no history, so the plan's medians apply: %(mx)s and %(my)s; a "
                "value at or above the median counts as high, so you are in “%(quadrant)s”."
            )
        sentences.append(text % {**medians, "quadrant": info["quadrant_label"]})
    sentences.append(
        _(
            "That quadrant's weight is %(weight)s; your share is your weight divided by "
            "the sum of every rep's weight (%(total)s). The pool is split by the "
            "largest-remainder method, so all targets add up to it to the cent."
        )
        % {"weight": _plain(info["weight"]), "total": _plain(info["total_weight"])}
    )
    if info["adjusted"]:
        sentences.append(
            _("Your manager then changed your target, because: %(reason)s")
            % {"reason": info["reason"]}
        )
    sentences.append(
        _("Your team %(team)s has a total target of %(total)s.")
        % {"team": info["team"].name, "total": format_cny(info["team_total"])}
    )
    return sentences


def my_targets(user) -> list[dict]:
    """The user's own targets in the plans in force (published, version in force)."""
    plans = permissions.visible_plans(user).filter(state=PlanState.PUBLISHED)
    rows = (
        Allocation.objects.filter(rep=user, plan__in=plans)
        .select_related("plan", "team", "rep")
        .order_by("-plan__fiscal_year", "plan__name")
    )
    policy = TargetPolicy.current()
    return [explain(row, policy=policy) for row in rows if row.version == row.plan.version]


def _plain(value: Decimal) -> str:
    """``1.3000`` → ``1.3``, ``10.0000`` → ``10`` (never ``1E+1``)."""
    return format(value.normalize(), "f")
