"""Target plans over the API (prefix /targets/plans): list, create, get (with calibration,
scenarios and the vote as far as the caller may see it), calibration, scenarios, the vote,
the baseline, publishing and adjustments. Parse → selector/service → serialise.

A plan the caller may not see answers 404, a step they may not take 403, a bad input 422
naming the field, a step that came too late (vote closed, adjustment decided) 409.
"""

from __future__ import annotations

import functools

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.responses import Status

from salesops.core.api_errors import error_response
from salesops.core.pagination import paginate
from salesops.org.models import Team

from . import selectors, services
from .lifecycle import Conflict
from .models import Adjustment, Scenario
from .permissions import has_targets
from .schemas import (
    AdjustmentIn,
    AdjustmentOut,
    CalibrationIn,
    CalibrationOut,
    ConfirmIn,
    DecisionIn,
    PlanDetailOut,
    PlanIn,
    PlanOut,
    PlanPage,
    PlanPatch,
    ScenarioIn,
    ScenarioOut,
    ScenarioPatch,
    VoteIn,
    VoteOut,
)

router = Router(tags=["targets"])
PREFIX = "/targets/plans"
MAX_ID = 2**63


class PlanListQuery(Schema):
    q: str = ""
    page: int = 1
    page_size: int | None = None


def conflict(request, exc: Conflict):
    field, messages = next(iter(exc.message_dict.items()), (None, [str(exc)]))
    return error_response(request, 409, "conflict", messages[0], field)


def conflicts(view):
    """Answer a :class:`Conflict` from the service as 409 naming the field."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except Conflict as exc:
            return conflict(request, exc)

    return wrapper


def _plan(request, plan_id: int):
    if not has_targets(request.user):
        raise PermissionDenied(_("Targets are not part of your role."))
    return selectors.plan_or_404(request.user, plan_id)


def _detail(request, plan):
    plan.vote = selectors.vote_summary(request.user, plan)
    plan.scenarios_list = selectors.scenarios(plan)
    return plan


class _Detail(PlanDetailOut):
    @staticmethod
    def resolve_scenarios(obj):
        return obj.scenarios_list


def _team(team_id):
    if team_id is None:
        return None
    if not 0 < team_id < MAX_ID:
        return False
    return Team.objects.filter(pk=team_id).first() or False


def _scenario_of(plan, scenario_id):
    if not 0 < scenario_id < MAX_ID:
        return None
    return Scenario.objects.filter(plan=plan, pk=scenario_id).first()


@router.get(PREFIX, response=PlanPage, summary="List the target plans you may see")
@conflicts
def list_plans(request, query: Query[PlanListQuery]):
    if not has_targets(request.user):
        raise PermissionDenied(_("Targets are not part of your role."))
    return paginate(selectors.plans(request.user, query.q), query.page, query.page_size)


@router.post(PREFIX, response={201: PlanOut}, summary="Create a plan (configurers)")
@conflicts
def create_plan(request, payload: PlanIn):
    team = _team(payload.team_id)
    plan = services.plan_create(
        actor=request.user,
        name=payload.name,
        fiscal_year=payload.fiscal_year,
        team=team or None,
        product_line=payload.product_line,
        measure=payload.measure,
    )
    return Status(201, plan)


@router.get(PREFIX + "/{plan_id}", response=_Detail, summary="Get a plan")
@conflicts
def get_plan(request, plan_id: int):
    return _detail(request, _plan(request, plan_id))


@router.patch(PREFIX + "/{plan_id}", response=PlanOut, summary="Change an unpublished plan")
@conflicts
def update_plan(request, plan_id: int, payload: PlanPatch):
    plan = _plan(request, plan_id)
    data = payload.dict(exclude_unset=True)
    if "team_id" in data:
        data["team"] = _team(data.pop("team_id")) or None
    return services.plan_update(plan=plan, actor=request.user, **data)


@router.get(PREFIX + "/{plan_id}/calibration", response=CalibrationOut, summary="Calibration")
@conflicts
def get_calibration(request, plan_id: int):
    return _plan(request, plan_id).calibration


@router.put(
    PREFIX + "/{plan_id}/calibration",
    response=CalibrationOut,
    summary="Set the calibration inputs and compute",
)
@conflicts
def put_calibration(request, plan_id: int, payload: CalibrationIn):
    plan = _plan(request, plan_id)
    inputs = payload.dict(exclude_unset=True)
    return services.calibrate(plan=plan, actor=request.user, **inputs)


@router.post(
    PREFIX + "/{plan_id}/calibration/compute",
    response=CalibrationOut,
    summary="Compute the calibration again with the stored inputs",
)
@conflicts
def compute_calibration(request, plan_id: int):
    return services.calibrate(plan=_plan(request, plan_id), actor=request.user)


@router.get(PREFIX + "/{plan_id}/scenarios", response=list[ScenarioOut], summary="Scenarios")
@conflicts
def list_scenarios(request, plan_id: int):
    return selectors.scenarios(_plan(request, plan_id))


@router.post(PREFIX + "/{plan_id}/scenarios", response={201: ScenarioOut}, summary="Add a scenario")
@conflicts
def create_scenario(request, plan_id: int, payload: ScenarioIn):
    plan = _plan(request, plan_id)
    return Status(201, services.scenario_create(plan=plan, actor=request.user, **payload.dict()))


def _scenario(request, plan_id, scenario_id) -> Scenario:
    plan = _plan(request, plan_id)
    return get_object_or_404(Scenario.objects.select_related("plan"), plan=plan, pk=scenario_id)


@router.patch(
    PREFIX + "/{plan_id}/scenarios/{int:scenario_id}",
    response=ScenarioOut,
    summary="Edit a scenario",
)
@conflicts
def update_scenario(request, plan_id: int, scenario_id: int, payload: ScenarioPatch):
    scenario = _scenario(request, plan_id, scenario_id)
    data = payload.dict(exclude_unset=True)
    return services.scenario_update(scenario=scenario, actor=request.user, **data)


@router.delete(
    PREFIX + "/{plan_id}/scenarios/{int:scenario_id}", response={204: None}, summary="Delete"
)
@conflicts
def delete_scenario(request, plan_id: int, scenario_id: int):
    services.scenario_delete(scenario=_scenario(request, plan_id, scenario_id), actor=request.user)
    return Status(204, None)


@router.post(
    PREFIX + "/{plan_id}/scenarios/compute",
    response=list[ScenarioOut],
    summary="Compute the factors and every scenario",
)
@conflicts
def compute_scenarios(request, plan_id: int):
    return services.scenarios_compute(plan=_plan(request, plan_id), actor=request.user)


@router.put(PREFIX + "/{plan_id}/vote", response=VoteOut, summary="Cast or change your vote")
@conflicts
def cast_vote(request, plan_id: int, payload: VoteIn):
    plan = _plan(request, plan_id)
    scenario = _scenario_of(plan, payload.scenario_id)
    services.vote_cast(plan=plan, voter=request.user, scenario=scenario)
    plan.refresh_from_db()
    return selectors.vote_summary(request.user, plan)


@router.post(PREFIX + "/{plan_id}/vote/close", response=VoteOut, summary="Close the vote")
@conflicts
def close_vote(request, plan_id: int):
    plan = _plan(request, plan_id)
    plan = services.vote_close(plan=plan, actor=request.user)
    return selectors.vote_summary(request.user, plan)


@router.post(PREFIX + "/{plan_id}/confirm", response=PlanOut, summary="Confirm the baseline")
@conflicts
def confirm(request, plan_id: int, payload: ConfirmIn):
    plan = _plan(request, plan_id)
    scenario = _scenario_of(plan, payload.scenario_id)
    return services.baseline_confirm(plan=plan, scenario=scenario, actor=request.user)


@router.post(PREFIX + "/{plan_id}/publish", response=PlanOut, summary="Publish the plan")
@conflicts
def publish(request, plan_id: int):
    return services.publish(plan=_plan(request, plan_id), actor=request.user)


def _adjustment_out(request, adjustment: Adjustment) -> Adjustment:
    adjustment.changes = selectors.visible_changes(request.user, adjustment)
    return adjustment


@router.get(PREFIX + "/{plan_id}/adjustments", response=list[AdjustmentOut], summary="Adjustments")
@conflicts
def list_adjustments(request, plan_id: int):
    plan = _plan(request, plan_id)
    return [_adjustment_out(request, a) for a in selectors.adjustments(request.user, plan)]


@router.post(
    PREFIX + "/{plan_id}/adjustments",
    response={201: AdjustmentOut},
    summary="Ask for an adjustment of a published plan",
)
@conflicts
def create_adjustment(request, plan_id: int, payload: AdjustmentIn):
    plan = _plan(request, plan_id)
    adjustment = services.adjustment_request(
        plan=plan, actor=request.user, changes=payload.changes, reason=payload.reason
    )
    return Status(201, _adjustment_out(request, adjustment))


def _decide(request, plan_id, adjustment_id, payload, decide):
    plan = _plan(request, plan_id)
    adjustment = get_object_or_404(Adjustment, plan=plan, pk=adjustment_id)
    adjustment = decide(adjustment=adjustment, actor=request.user, note=payload.note)
    return _adjustment_out(request, adjustment)


@router.post(
    PREFIX + "/{plan_id}/adjustments/{adjustment_id}/approve",
    response=AdjustmentOut,
    summary="Approve an adjustment (directors): a new version",
)
@conflicts
def approve_adjustment(request, plan_id: int, adjustment_id: int, payload: DecisionIn):
    return _decide(request, plan_id, adjustment_id, payload, services.adjustment_approve)


@router.post(
    PREFIX + "/{plan_id}/adjustments/{adjustment_id}/reject",
    response=AdjustmentOut,
    summary="Reject an adjustment (directors)",
)
@conflicts
def reject_adjustment(request, plan_id: int, adjustment_id: int, payload: DecisionIn):
    return _decide(request, plan_id, adjustment_id, payload, services.adjustment_reject)
