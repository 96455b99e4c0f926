"""The scenario sandbox and the vote (T2): admins keep a plan's scenarios (formulas over
the factors of :mod:`.factors`), :func:`scenarios_compute` evaluates them all, the plan's
members vote (one vote each, changeable while the vote is open) and the director confirms
one as the baseline that is split to reps."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salesops.core.expressions import ExpressionError, compile_expression, evaluate
from salesops.core.history import save_with_history

from .factors import FACTOR_NAMES, compute_factors
from .lifecycle import (
    Conflict,
    require_configurer,
    require_decider,
    require_reached,
    require_unlocked,
)
from .models import Allocation, PlanState, Scenario, TargetPlan, Vote
from .permissions import can_vote

CENT = Decimal("0.01")
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,29}$")
FIELDS = ("code", "name_zh", "name_en", "formula", "position")


def _locked_plan(plan) -> TargetPlan:
    return TargetPlan.objects.select_for_update().select_related("team").get(pk=plan.pk)


def _scenario_errors(plan, data: dict, exclude_pk=None) -> dict:
    errors: dict[str, list] = {}
    code = data.get("code", "")
    if not CODE_RE.match(code or ""):
        errors["code"] = [
            _(
                "Use 1–30 lower-case letters, digits, hyphens or underscores, starting with a letter or digit."
            )
        ]
    elif Scenario.objects.filter(plan=plan, code=code).exclude(pk=exclude_pk).exists():
        errors["code"] = [_("This plan already has a scenario with that code.")]
    for field in ("name_zh", "name_en"):
        value = data.get(field, "")
        if not value:
            errors[field] = [_("This field is required.")]
        elif len(value) > 100:
            errors[field] = [_("At most %(limit)d characters.") % {"limit": 100}]
    formula = data.get("formula", "")
    try:
        compile_expression(formula, allowed_names=set(FACTOR_NAMES))
    except ExpressionError as exc:
        errors["formula"] = [str(exc)]
    else:
        if len(formula) > 500:
            errors["formula"] = [_("At most %(limit)d characters.") % {"limit": 500}]
    position = data.get("position", 0)
    if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position <= 1000:
        errors["position"] = [_("Give a whole number from 0 to 1000.")]
    return errors


def _clean(data: dict) -> dict:
    out = dict(data)
    for field in ("code", "name_zh", "name_en", "formula"):
        if field in out:
            out[field] = str(out[field] or "").strip()
    if "position" in out and isinstance(out["position"], str) and out["position"].isdigit():
        out["position"] = int(out["position"])
    return out


@transaction.atomic
def scenario_create(*, plan, actor, code, name_zh, name_en, formula, position=None) -> Scenario:
    require_configurer(actor)
    plan = _locked_plan(plan)
    require_unlocked(plan)
    if position is None:
        last = plan.scenarios.order_by("-position").values_list("position", flat=True).first()
        position = 0 if last is None else last + 1
    data = _clean(
        {
            "code": code,
            "name_zh": name_zh,
            "name_en": name_en,
            "formula": formula,
            "position": position,
        }
    )
    errors = _scenario_errors(plan, data)
    if errors:
        raise ValidationError(errors)
    scenario = Scenario(plan=plan, **data)
    save_with_history(scenario, actor, "created")
    return scenario


@transaction.atomic
def scenario_update(*, scenario, actor, **data) -> Scenario:
    """Change a scenario; a new formula clears its result until the next computation."""
    require_configurer(actor)
    plan = _locked_plan(scenario.plan)
    require_unlocked(plan)
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise ValidationError({field: [_("Unknown field.")] for field in sorted(unknown)})
    scenario = Scenario.objects.select_for_update().get(pk=scenario.pk)
    values = {field: getattr(scenario, field) for field in FIELDS}
    values.update(_clean(data))
    errors = _scenario_errors(plan, values, exclude_pk=scenario.pk)
    if errors:
        raise ValidationError(errors)
    if values["formula"] != scenario.formula:
        scenario.result = None
        scenario.factors = {}
    for field, value in values.items():
        setattr(scenario, field, value)
    save_with_history(scenario, actor, "updated")
    return scenario


@transaction.atomic
def scenario_delete(*, scenario, actor) -> None:
    """Delete a scenario (its votes go with it); never the confirmed baseline."""
    require_configurer(actor)
    plan = _locked_plan(scenario.plan)
    require_unlocked(plan)
    if plan.baseline_id == scenario.pk:
        raise ValidationError(
            {"scenario": [_("This scenario is the confirmed baseline; confirm another first.")]}
        )
    scenario._history_user = actor
    scenario.delete()


def _result(scenario: Scenario, factors: dict) -> Decimal:
    try:
        value = evaluate(compile_expression(scenario.formula, set(FACTOR_NAMES)), factors)
        number = Decimal(str(value)) if not isinstance(value, bool) else None
    except ExpressionError as exc:
        raise ValidationError(
            {"formula": [_("%(scenario)s: %(error)s") % {"scenario": scenario.code, "error": exc}]}
        ) from None
    except (InvalidOperation, ValueError):
        number = None
    if number is None or not number.is_finite():
        raise ValidationError(
            {
                "formula": [
                    _("%(scenario)s: the formula must give a number.") % {"scenario": scenario.code}
                ]
            }
        )
    return max(number, Decimal(0)).quantize(CENT, rounding=ROUND_HALF_UP)


@transaction.atomic
def scenarios_compute(*, plan, actor) -> list[Scenario]:
    """Compute the factors once and every scenario's result (never below zero, to the
    cent); each scenario keeps the factor values it was computed from."""
    require_configurer(actor)
    plan = _locked_plan(plan)
    require_unlocked(plan)
    require_reached(plan, PlanState.CALIBRATED)
    factors = compute_factors(plan)
    stored = {name: str(value) for name, value in factors.items()}
    scenarios = list(Scenario.objects.select_for_update().filter(plan=plan))
    for scenario in scenarios:
        scenario.result = _result(scenario, factors)
        scenario.factors = stored
        save_with_history(scenario, actor, "computed")
    return scenarios


# --- the vote -------------------------------------------------------------------------------


@transaction.atomic
def vote_cast(*, plan, voter, scenario) -> Vote:
    """One vote per member (a new vote replaces theirs) while the vote is open."""
    plan = _locked_plan(plan)
    if not can_vote(voter, plan):
        raise PermissionDenied(_("Only the plan's reps, managers and the directors vote."))
    require_unlocked(plan)
    if not plan.vote_open:
        raise Conflict({"scenario": [_("The vote is closed.")]})
    if scenario is None or scenario.plan_id != plan.pk:
        raise ValidationError({"scenario": [_("Pick one of this plan's scenarios.")]})
    vote, _created = Vote.objects.update_or_create(
        plan=plan, voter=voter, defaults={"scenario": scenario}
    )
    return vote


@transaction.atomic
def vote_close(*, plan, actor) -> TargetPlan:
    require_configurer(actor)
    plan = _locked_plan(plan)
    require_unlocked(plan)
    if not plan.vote_open:
        raise Conflict({"vote_open": [_("The vote is closed already.")]})
    plan.vote_open = False
    save_with_history(plan, actor, "vote closed")
    return plan


@transaction.atomic
def vote_open(*, plan, actor) -> TargetPlan:
    require_configurer(actor)
    plan = _locked_plan(plan)
    require_unlocked(plan)
    if plan.vote_open:
        raise Conflict({"vote_open": [_("The vote is open already.")]})
    plan.vote_open = True
    save_with_history(plan, actor, "vote opened")
    return plan


@transaction.atomic
def baseline_confirm(*, plan, scenario, actor) -> TargetPlan:
    """The director's choice: the scenario's result becomes the baseline and the pool to
    split, the vote closes and the plan moves to "scenario chosen" (a plan that was
    already decomposed loses that split: it must be decomposed again)."""
    require_decider(actor)
    plan = _locked_plan(plan)
    require_unlocked(plan)
    require_reached(plan, PlanState.CALIBRATED)
    if scenario is None or scenario.plan_id != plan.pk:
        raise ValidationError({"scenario": [_("Pick one of this plan's scenarios.")]})
    scenario = Scenario.objects.get(pk=scenario.pk)
    if scenario.result is None:
        raise ValidationError({"scenario": [_("Compute the scenarios first.")]})
    if plan.state == PlanState.DECOMPOSED:
        Allocation.objects.filter(plan=plan, version=plan.version).delete()
    plan.baseline = scenario
    plan.baseline_amount = scenario.result
    plan.pool = scenario.result
    plan.vote_open = False
    plan.state = PlanState.SCENARIO_CHOSEN
    save_with_history(plan, actor, "baseline confirmed")
    return plan
