"""Every write to a target plan (T1–T2 and publishing). The service functions named in
the brief live here or are re-exported from their room: calibration (:mod:`.calibration`),
scenarios and the vote (:mod:`.scenarios`), adjustments after publishing
(:mod:`.adjustments`). Keyword-only arguments, one transaction, every bad field in one
ValidationError, audited saves (``_history_user`` = the actor)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salesops.core import choices, clock
from salesops.core.history import save_with_history
from salesops.org.models import Team

from . import defaults
from .adjustments import adjustment_approve, adjustment_reject, adjustment_request
from .calibration import calibrate
from .lifecycle import Conflict, require_configurer, require_unlocked
from .models import (
    Allocation,
    Calibration,
    Measure,
    PlanState,
    Scenario,
    Survey,
    TargetPlan,
    TargetPolicy,
)
from .permissions import members
from .scenarios import (
    baseline_confirm,
    scenario_create,
    scenario_delete,
    scenario_update,
    scenarios_compute,
    vote_cast,
    vote_close,
    vote_open,
)

__all__ = [
    "Conflict",
    "adjustment_approve",
    "adjustment_reject",
    "adjustment_request",
    "baseline_confirm",
    "calibrate",
    "plan_create",
    "plan_update",
    "publish",
    "scenario_create",
    "scenario_delete",
    "scenario_update",
    "scenarios_compute",
    "vote_cast",
    "vote_close",
    "vote_open",
]

NAME_MAX = 200


def _plan_errors(*, name, fiscal_year, team, product_line, measure, exclude_pk=None) -> dict:
    errors: dict[str, list] = {}
    if not str(name or "").strip():
        errors["name"] = [_("This field is required.")]
    elif len(name) > NAME_MAX:
        errors["name"] = [_("At most %(limit)d characters.") % {"limit": NAME_MAX}]
    try:
        year = int(fiscal_year)
    except (TypeError, ValueError):
        year = None
    if year is None or not 2000 <= year <= 2100:
        errors["fiscal_year"] = [_("Give a year between 2000 and 2100.")]
    if not isinstance(team, Team):
        errors["team"] = [_("Pick a team.")]
    if product_line and product_line not in choices.active_codes(choices.PRODUCT_LINE):
        errors["product_line"] = [_("Unknown or inactive product line.")]
    if measure not in Measure.values:
        errors["measure"] = [_("Pick one of: %(values)s.") % {"values": ", ".join(Measure.values)}]
    if not errors:
        clash = TargetPlan.objects.filter(
            fiscal_year=year, team=team, product_line=product_line or ""
        )
        if exclude_pk:
            clash = clash.exclude(pk=exclude_pk)
        if clash.exists():
            errors["fiscal_year"] = [
                _("This team already has a plan for that year and product line.")
            ]
    return errors


@transaction.atomic
def plan_create(*, actor, name, fiscal_year, team, product_line="", measure=None) -> TargetPlan:
    """A draft plan with its calibration (the policy's formula, top N and utilisation),
    the default scenarios and an empty survey."""
    require_configurer(actor)
    policy = TargetPolicy.current()
    measure = measure or policy.default_measure
    product_line = (product_line or "").strip()
    name = str(name or "").strip()
    errors = _plan_errors(
        name=name, fiscal_year=fiscal_year, team=team, product_line=product_line, measure=measure
    )
    if errors:
        raise ValidationError(errors)
    plan = TargetPlan(
        name=name,
        fiscal_year=int(fiscal_year),
        team=team,
        product_line=product_line,
        measure=measure,
        created_by=actor,
    )
    save_with_history(plan, actor, "created")
    calibration = Calibration(
        plan=plan,
        formula=policy.pool_formula,
        top_n=policy.manpower_top_n,
        utilisation=policy.manpower_utilisation,
    )
    save_with_history(calibration, actor, "created")
    for position, data in enumerate(defaults.DEFAULT_SCENARIOS):
        save_with_history(Scenario(plan=plan, position=position, **data), actor, "default")
    Survey.objects.create(plan=plan)
    return plan


@transaction.atomic
def plan_update(*, plan, actor, **data) -> TargetPlan:
    """Change name, fiscal year, team, product line or measure of an unpublished plan.
    Changing what the plan counts (year, team, line, measure) sends it back to draft: its
    calibration must be computed again."""
    require_configurer(actor)
    plan = TargetPlan.objects.select_for_update().get(pk=plan.pk)
    require_unlocked(plan)
    allowed = {"name", "fiscal_year", "team", "product_line", "measure"}
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError({field: [_("Unknown field.")] for field in sorted(unknown)})
    values = {field: getattr(plan, field) for field in allowed}
    values.update(data)
    values["name"] = str(values["name"] or "").strip()
    values["product_line"] = (values["product_line"] or "").strip()
    errors = _plan_errors(exclude_pk=plan.pk, **values)
    if errors:
        raise ValidationError(errors)
    values["fiscal_year"] = int(values["fiscal_year"])
    scope_changed = any(
        values[f] != getattr(plan, f) for f in ("fiscal_year", "team", "product_line", "measure")
    )
    for field, value in values.items():
        setattr(plan, field, value)
    if scope_changed and plan.state != PlanState.DRAFT:
        Allocation.objects.filter(plan=plan, version=plan.version).delete()
        plan.state = PlanState.DRAFT
        plan.baseline = None
        plan.baseline_amount = None
        plan.pool = Decimal("0.00")
    save_with_history(plan, actor, "updated")
    return plan


@transaction.atomic
def publish(*, plan, actor) -> TargetPlan:
    """Publish a decomposed plan whose allocations (of its version) add up exactly to the
    pool and cover every member. Afterwards only approved adjustments change it."""
    require_configurer(actor)
    plan = TargetPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.is_locked:
        raise Conflict({"state": [_("The plan is published already.")]})
    if plan.state != PlanState.DECOMPOSED:
        raise ValidationError(
            {"allocations": [_("Decompose the plan to reps before publishing it.")]}
        )
    rows = Allocation.objects.filter(plan=plan, version=plan.version)
    total = sum((row.amount for row in rows), Decimal("0.00"))
    problems = []
    if total != plan.pool:
        problems.append(
            _("The reps' targets add up to %(total)s, not the pool %(pool)s.")
            % {"total": f"{total:,.2f}", "pool": f"{plan.pool:,.2f}"}
        )
    missing = members(plan).exclude(pk__in=rows.values("rep_id"))
    if missing.exists():
        names = ", ".join(str(user) for user in missing[:10])
        problems.append(_("These members have no target yet: %(names)s.") % {"names": names})
    if problems:
        raise ValidationError({"allocations": problems})
    plan.state = PlanState.PUBLISHED
    plan.published_at = clock.now()
    plan.published_by = actor
    plan.vote_open = False
    save_with_history(plan, actor, "published")
    return plan
