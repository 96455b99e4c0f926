"""Target checks: pipeline coverage of the target gap (T4) and the consensus survey (T6),
over the target plans in force (decomposed or published, fiscal year containing today)."""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesops.core.exports import RowList
from salesops.targets import health, measures, survey
from salesops.targets.models import (
    Allocation,
    SurveyResponse,
    TargetPlan,
    TargetPolicy,
)

from .base import PERCENT, RATIO, Check, Measure, url_or_none

ZERO = Decimal("0.00")


def plans_in_force(ctx) -> list[TargetPlan]:
    if "plans" not in ctx.cache:
        today = timezone.localtime(ctx.now).date()
        policy = TargetPolicy.current()
        found = []
        for plan in TargetPlan.objects.filter(state__in=health.HEALTH_STATES).select_related(
            "team"
        ):
            start, end = measures.fiscal_range(plan.fiscal_year, policy)
            if start <= today < end:
                found.append(plan)
        ctx.cache["plans"] = found
    return ctx.cache["plans"]


def _plan_url(ctx, name: str) -> str | None:
    plans = plans_in_force(ctx) if ctx is not None else []
    if plans:
        return url_or_none(name, plans[0].pk)
    return url_or_none("targets:plan_list")


class TargetCoverage(Check):
    code = "target_coverage"
    title = _("Target coverage")
    definition = _(
        "Qualified pipeline (need, budget and decision maker confirmed) ÷ the gap to the "
        "year's target (target − achieved), over the target plans in force; healthy at 1.8 "
        "or more."
    )
    unit = RATIO
    higher_is_better = True
    default_green, default_amber = Decimal("1.8"), Decimal("1.5")
    bounds = (Decimal(0), Decimal(20))
    fix_label = _("Target health")
    columns = [
        (_("Rep"), lambda r: r["rep"]),
        (_("Plan"), lambda r: r["plan"]),
        (_("Target for the year"), lambda r: r["target"]),
        (_("Achieved"), lambda r: r["achieved"]),
        (_("Gap"), lambda r: r["gap"]),
        (_("Qualified pipeline"), lambda r: r["pipeline"]),
        (_("Coverage"), lambda r: r["coverage"]),
    ]

    def _rows(self, scope, ctx) -> list:
        key = ("coverage", scope.key)
        if key in ctx.cache:
            return ctx.cache[key]
        rows = []
        for plan in plans_in_force(ctx):
            result = health.compute(plan, at=ctx.now)
            for rep_row in result.reps:
                if scope.owner_ids is not None and rep_row.allocation.rep_id not in scope.owner_ids:
                    continue
                rows.append((plan, rep_row))
        ctx.cache[key] = rows
        return rows

    def measure(self, scope, ctx):
        rows = self._rows(scope, ctx)
        if not rows:
            return Measure(None, note=str(_("No target plan in force.")))
        target = sum((r.figures.target_year for _p, r in rows), ZERO)
        achieved = sum((r.figures.achieved for _p, r in rows), ZERO)
        pipeline = sum((r.figures.qualified_pipeline for _p, r in rows), ZERO)
        gap = max(target - achieved, ZERO)
        if gap <= 0:
            return Measure(None, pipeline, gap, note=str(_("Target reached.")))
        value = (pipeline / gap).quantize(Decimal("0.01"), ROUND_HALF_UP)
        return Measure(value, pipeline, gap)

    def records(self, scope, ctx):
        green = ctx.green(self)
        out = []
        for plan, row in self._rows(scope, ctx):
            figures = row.figures
            if figures.coverage is None or figures.coverage >= green:
                continue
            out.append(
                {
                    "rep": row.rep.label,
                    "plan": plan.name,
                    "plan_id": plan.pk,
                    "target": figures.target_year,
                    "achieved": figures.achieved,
                    "gap": figures.gap,
                    "pipeline": figures.qualified_pipeline,
                    "coverage": figures.coverage,
                }
            )
        out.sort(key=lambda r: r["coverage"])
        return RowList(out)

    def record_url(self, row):
        return url_or_none("targets:health", row["plan_id"])

    def fix_url(self, ctx=None):
        return _plan_url(ctx, "targets:health")


class TargetConsensus(Check):
    code = "target_consensus"
    title = _("Target consensus")
    definition = _(
        "From the anonymous consensus survey of the plans in force: per team, 1 − the mean "
        "difference between the levels' (director, manager, rep) mean estimates ÷ the team's "
        "target; the scope's value is the mean over its teams. Only groups of at least the "
        "survey's smallest group count."
    )
    unit = PERCENT
    higher_is_better = True
    default_green, default_amber = Decimal(85), Decimal(70)
    fix_label = _("Target consensus survey")
    columns = [
        (_("Team"), lambda r: r["team"]),
        (_("Plan"), lambda r: r["plan"]),
        (_("Levels answered"), lambda r: r["levels"]),
        (_("Consensus (%)"), lambda r: r["consensus"]),
    ]

    def _teams(self, scope, ctx) -> list[dict]:
        key = ("consensus", scope.key)
        if key in ctx.cache:
            return ctx.cache[key]
        min_group = TargetPolicy.current().survey_min_group
        path = scope.team_path
        out = []
        for plan in plans_in_force(ctx):
            answers = SurveyResponse.objects.filter(survey__plan=plan)
            if scope.kind == "rep":
                answers = answers.filter(team_id=getattr(scope.rep, "team_id", None))
            elif path:
                answers = answers.filter(team__path__startswith=path)
            groups: dict = defaultdict(lambda: defaultdict(list))
            names = {}
            for team_id, team_name, team_path, level, estimate in answers.order_by().values_list(
                "team_id", "team__name", "team__path", "level", "estimate"
            ):
                groups[(team_id, team_path)][level].append(estimate)
                names[team_id] = team_name
            allocations = list(
                Allocation.objects.filter(plan=plan, version=plan.version).values_list(
                    "team__path", "amount"
                )
            )
            for (team_id, team_path), levels in groups.items():
                shown = [v for level, v in levels.items() if len(v) >= min_group]
                means = [survey.mean(v) for v in shown]
                target = sum((a for p, a in allocations if p.startswith(team_path)), ZERO)
                if not target and shown:
                    target = survey.mean([e for v in shown for e in v])
                deviation = survey.deviation(means, target) if len(means) >= 2 else None
                if deviation is None:
                    continue
                consensus = max(Decimal(0), (1 - deviation) * 100).quantize(Decimal("0.1"))
                out.append(
                    {
                        "team": names[team_id],
                        "plan": plan.name,
                        "plan_id": plan.pk,
                        "levels": len(means),
                        "consensus": consensus,
                    }
                )
        ctx.cache[key] = out
        return out

    def measure(self, scope, ctx):
        teams = self._teams(scope, ctx)
        if not teams:
            return Measure(None, note=str(_("No survey with two levels answering yet.")))
        value = (sum(t["consensus"] for t in teams) / len(teams)).quantize(
            Decimal("0.1"), ROUND_HALF_UP
        )
        return Measure(value, None, len(teams))

    def records(self, scope, ctx):
        green = ctx.green(self)
        rows = [t for t in self._teams(scope, ctx) if t["consensus"] < green]
        rows.sort(key=lambda r: r["consensus"])
        return RowList(rows)

    def record_url(self, row):
        return url_or_none("targets:survey", row["plan_id"])

    def fix_url(self, ctx=None):
        return _plan_url(ctx, "targets:survey")
