"""A KPI scheme over metric values (K2).

``score`` is the one place the maths lives: item score = the item's formula over
``actual``, ``target``, ``workdays`` and ``days``, clamped to ≥ 0 and rounded to 2
places; a group's score = Σ item weight/100 × item score; the total = Σ group weight/100 ×
group score. An item whose formula fails for a rep scores 0 and says why (P4). ``preview``
validates a draft first and refuses to score one that would fail for anyone.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from salesops.core.expressions import ExpressionError, compile_expression, evaluate

from . import metrics
from .models import Metric, MetricGroup, SchemeVersion, TargetSource

SCORE_NAMES = frozenset({"actual", "target", "workdays", "days"})
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
GROUPS = (MetricGroup.RESULT, MetricGroup.PROCESS, MetricGroup.QUALITY)
# Which targets-module measure a "plan" target reads, by the metric's source.
PLAN_MEASURES = {"payments": "payments", "contracts": "contracts"}


@dataclass
class DraftItem:
    metric_definition: dict
    group: str
    weight: Decimal
    formula: str
    target_source: str
    target_value: Decimal | None
    item_id: int | None = None

    @property
    def code(self) -> str:
        return self.metric_definition.get("code", "")

    @property
    def name(self) -> str:
        return self.metric_definition.get("name_zh") or self.code


@dataclass
class Draft:
    result_weight: Decimal
    process_weight: Decimal
    quality_weight: Decimal
    items: list[DraftItem]

    def group_weight(self, group: str) -> Decimal:
        return {
            MetricGroup.RESULT: self.result_weight,
            MetricGroup.PROCESS: self.process_weight,
            MetricGroup.QUALITY: self.quality_weight,
        }[group]


@dataclass
class ItemResult:
    item: DraftItem
    actual: Decimal | None
    target: Decimal | None
    score: Decimal
    inputs: dict
    error: str = ""


@dataclass
class RepResult:
    user_id: int
    team_id: int | None
    score: Decimal
    result_score: Decimal
    process_score: Decimal
    quality_score: Decimal
    items: list[ItemResult] = field(default_factory=list)

    def group_score(self, group: str) -> Decimal:
        return {
            MetricGroup.RESULT: self.result_score,
            MetricGroup.PROCESS: self.process_score,
            MetricGroup.QUALITY: self.quality_score,
        }[group]


class PreviewError(Exception):
    """A draft that cannot be scored; each message names the metric and the problem."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def draft_from_version(version: SchemeVersion) -> Draft:
    """The saved version as a draft (its items keep the metric definitions they were
    saved with, so a replay scores exactly what the run scored)."""
    return Draft(
        result_weight=version.result_weight,
        process_weight=version.process_weight,
        quality_weight=version.quality_weight,
        items=[
            DraftItem(
                metric_definition=dict(item.metric_definition),
                group=item.group,
                weight=item.weight,
                formula=item.formula,
                target_source=item.target_source,
                target_value=item.target_value,
                item_id=item.pk,
            )
            for item in version.items.order_by("order", "pk")
        ],
    )


def targets_for(
    user_ids: list[int], start: dt.date, end: dt.date, *, measure: str | None = None
) -> dict[int, Decimal]:
    """The reps' targets for ``[start, end]`` from the targets module: Σ of their
    allocations' monthly amounts for the fiscal months the period touches, over the
    published plans (the allocation version each holds in force). ``measure`` narrows to
    one measure (payments / contracts); reps without an allocation are absent."""
    from salesops.targets import measures as target_measures
    from salesops.targets.health import monthly_amounts
    from salesops.targets.models import Allocation, PlanState, TargetPlan, TargetPolicy

    if not user_ids:
        return {}
    policy = TargetPolicy.current()
    plans = TargetPlan.objects.filter(state=PlanState.PUBLISHED)
    if measure:
        plans = plans.filter(measure=measure)
    first, last = start.replace(day=1), end.replace(day=1)
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for plan in plans:
        months = target_measures.fiscal_months(plan.fiscal_year, policy)
        wanted = [i for i, m in enumerate(months) if first <= m <= last]
        if not wanted:
            continue
        rows = Allocation.objects.filter(plan=plan, version=plan.version, rep_id__in=user_ids)
        for rep_id, amount, monthly in rows.values_list("rep_id", "amount", "monthly"):
            per_month = monthly_amounts(monthly, Decimal(amount), months)
            totals[rep_id] += sum((per_month[i] for i in wanted), ZERO)
    return dict(totals)


def _round(value) -> Decimal:
    return Decimal(value).quantize(CENT, ROUND_HALF_UP)


def _plain(value):
    """A JSON-friendly copy of an input value."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _plan_targets(draft: Draft, user_ids, start, end) -> dict[str, dict[int, Decimal]]:
    wanted = {
        PLAN_MEASURES.get(item.metric_definition.get("source", ""))
        for item in draft.items
        if item.target_source == TargetSource.PLAN
    }
    return {measure or "": targets_for(user_ids, start, end, measure=measure) for measure in wanted}


def _teams(user_ids) -> dict[int, int | None]:
    rows = get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "team_id")
    return dict(rows)


def _item_target(item: DraftItem, uid: int, plan_targets) -> Decimal | None:
    if item.target_source == TargetSource.FIXED:
        return item.target_value
    if item.target_source == TargetSource.PLAN:
        measure = PLAN_MEASURES.get(item.metric_definition.get("source", "")) or ""
        return plan_targets.get(measure, {}).get(uid)
    return None


def _score_item(item, expression, actual, target, period) -> tuple[Decimal, str]:
    if "target" in expression.names and target is None:
        return ZERO, _("%(metric)s has no target.") % {"metric": item.name}
    variables = {"actual": actual, "target": target, **period}
    try:
        value = evaluate(expression, variables)
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            raise ExpressionError(_("The scoring formula did not give a number."))
        return max(_round(value), ZERO), ""
    except (ExpressionError, ArithmeticError, TypeError, ValueError) as exc:
        if actual is None:  # no rows for an average, or a derived metric divided by 0
            return ZERO, _("%(metric)s has no value for the period.") % {"metric": item.name}
        return ZERO, _("%(metric)s: %(error)s") % {"metric": item.name, "error": exc}


def score(draft: Draft, user_ids: list[int], start: dt.date, end: dt.date) -> list[RepResult]:
    """Every user's score under ``draft`` for ``[start, end]`` (nothing is written)."""
    user_ids = list(dict.fromkeys(user_ids))
    values = metrics.compute([i.metric_definition for i in draft.items], user_ids, start, end)
    period = metrics.period_values(start, end)
    plan_targets = _plan_targets(draft, user_ids, start, end)
    teams = _teams(user_ids)
    compiled = {}
    for item in draft.items:
        try:
            compiled[id(item)] = compile_expression(item.formula, allowed_names=set(SCORE_NAMES))
        except ExpressionError as exc:
            compiled[id(item)] = exc
    span = [start.isoformat(), end.isoformat()]
    results = []
    for uid in user_ids:
        groups: dict[str, Decimal] = dict.fromkeys(GROUPS, ZERO)
        items = []
        for item in draft.items:
            code = item.code
            actual = values.get(code, {}).get(uid)
            target = _item_target(item, uid, plan_targets)
            inputs = {
                "actual": _plain(actual),
                "target": _plain(target),
                "formula": item.formula,
                "metric": code,
                "period": span,
                "workdays": _plain(period["workdays"]),
                "days": _plain(period["days"]),
            }
            deps = metrics.components(item.metric_definition)
            if deps:
                inputs["components"] = {c: _plain(values.get(c, {}).get(uid)) for c in deps}
            expression = compiled[id(item)]
            if isinstance(expression, ExpressionError):
                points, error = (
                    ZERO,
                    _("%(metric)s: %(error)s")
                    % {
                        "metric": item.name,
                        "error": expression,
                    },
                )
            else:
                points, error = _score_item(item, expression, actual, target, period)
            items.append(ItemResult(item, actual, target, points, inputs, error))
            if item.group in groups:
                groups[item.group] += Decimal(item.weight) / HUNDRED * points
        groups = {g: _round(v) for g, v in groups.items()}
        total = sum((Decimal(draft.group_weight(g)) / HUNDRED * groups[g] for g in GROUPS), ZERO)
        results.append(
            RepResult(
                user_id=uid,
                team_id=teams.get(uid),
                score=_round(total),
                result_score=groups[MetricGroup.RESULT],
                process_score=groups[MetricGroup.PROCESS],
                quality_score=groups[MetricGroup.QUALITY],
                items=items,
            )
        )
    return results


def validate_draft(draft: Draft) -> list[str]:
    """Every problem of a draft, each naming the metric (or the group) and what is wrong."""
    errors: list[str] = []
    known = set(Metric.objects.filter(is_active=True).values_list("code", flat=True))
    known |= {i.code for i in draft.items}
    weights = [draft.result_weight, draft.process_weight, draft.quality_weight]
    if (
        any(w is None or Decimal(w) < 0 for w in weights)
        or sum((Decimal(w or 0) for w in weights), ZERO) != HUNDRED
    ):
        errors.append(
            _("The group weights must add up to 100 (they add up to %(total)s).")
            % {"total": sum((Decimal(w or 0) for w in weights), ZERO)}
        )
    seen = set()
    for item in draft.items:
        if item.code in seen:
            errors.append(_("%(metric)s is in the scheme twice.") % {"metric": item.name})
        seen.add(item.code)
        if item.group not in GROUPS:
            errors.append(
                _("%(metric)s: unknown group “%(group)s”.")
                % {"metric": item.name, "group": item.group}
            )
        try:
            compile_expression(item.formula, allowed_names=set(SCORE_NAMES))
        except ExpressionError as exc:
            errors.append(
                _("%(metric)s: scoring formula: %(error)s") % {"metric": item.name, "error": exc}
            )
        problems = metrics.validate_definition(item.metric_definition, known_codes=known)
        for messages in problems.values():
            errors.extend(
                _("%(metric)s: %(error)s") % {"metric": item.name, "error": m} for m in messages
            )
        if item.target_source == TargetSource.FIXED and item.target_value is None:
            errors.append(_("%(metric)s: the fixed target is empty.") % {"metric": item.name})
    for group in GROUPS:
        members = [i for i in draft.items if i.group == group]
        if not members:
            continue
        total = sum((Decimal(i.weight or 0) for i in members), ZERO)
        if total != HUNDRED:
            errors.append(
                _(
                    "The weights in the %(group)s group must add up to 100 (they add up to %(total)s)."
                )
                % {"group": MetricGroup(group).label, "total": total}
            )
    return errors


def preview(
    draft: Draft, start: dt.date, end: dt.date, user_ids: list[int] | None = None
) -> list[RepResult]:
    """Validate ``draft`` then score it (default: every active rep); a scoring formula that
    fails for any rep (division by zero, no target) raises :class:`PreviewError` naming the
    metric and the rep. Nothing is written."""
    errors = validate_draft(draft)
    if errors:
        raise PreviewError(errors)
    if user_ids is None:
        from salesops.org.models import Role

        user_ids = list(
            get_user_model()
            .objects.filter(is_active=True, role=Role.REP)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    results = score(draft, user_ids, start, end)
    names = None
    failures = []
    for rep in results:
        for item in rep.items:
            if item.error and item.actual is not None:
                if names is None:
                    users = get_user_model().objects.filter(pk__in=user_ids)
                    names = {u.pk: str(u) for u in users}
                failures.append(
                    _("%(error)s (rep: %(rep)s)")
                    % {"error": item.error, "rep": names.get(rep.user_id, rep.user_id)}
                )
    if failures:
        raise PreviewError(failures)
    return results
