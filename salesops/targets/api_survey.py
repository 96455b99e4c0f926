"""Targets API: the consensus survey (T6) and Settings · Targets.

- ``GET /targets/plans/{id}/survey``: the survey's state, whether you may answer and have
  answered, and the results you may see (managers of the teams, configurers, directors;
  groups under the smallest group size show no figures). A plan you may not see: 404.
- ``POST /targets/plans/{id}/survey``: your anonymous answer; a second one or a closed
  survey: 409 ``conflict``; a bad value: 422 naming the field; a role that does not
  answer: 403.
- ``POST /targets/plans/{id}/survey/close`` and ``…/open``: configurers (403 otherwise).
- ``GET`` / ``PUT /targets/settings``: configurers; a bad value 422 naming the field.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router
from ninja.responses import Status

from salesops.core.api_errors import error_response

from . import permissions, survey
from .models import Reachability, TargetPolicy
from .policy import key_account_levels, policy_update, quadrant_rows
from .schemas_survey import (
    SurveyAnsweredOut,
    SurveyAnswerIn,
    SurveyOut,
    TargetPolicyIn,
    TargetPolicyOut,
)

router = Router(tags=["targets"])


def _plan(request, plan_id: int):
    return get_object_or_404(permissions.visible_plans(request.user), pk=plan_id)


def _conflict(request, exc: survey.SurveyConflict):
    return error_response(request, 409, "conflict", exc.messages[0])


def results_out(results: survey.Results | None) -> dict | None:
    if results is None:
        return None
    return {
        "min_group": results.min_group,
        "r": results.r,
        "n": results.n,
        "needed": results.needed,
        "teams": [
            {
                "team_id": t.team.pk,
                "team": t.team.name,
                "groups": [g.__dict__ for g in t.groups],
                "target": t.target,
                "target_source": t.target_source,
                "deviation": t.deviation,
                "consensus": t.consensus,
                "achieved": t.achieved,
                "attainment": t.attainment,
            }
            for t in results.teams
        ],
    }


def survey_out(user, plan) -> dict:
    current = survey.survey_for(plan)
    return {
        "plan_id": plan.pk,
        "is_open": not survey.is_closed(current),
        "closes_on": current.closes_on,
        "can_answer": survey.may_answer(user, plan),
        "answered": survey.has_answered(user, current),
        "can_manage": survey.may_manage(user),
        "priorities": [{"code": c, "label": str(label)} for c, label in survey.Priority.choices],
        "reachability": [
            {"code": str(c), "label": str(label)} for c, label in Reachability.choices
        ],
        "results": results_out(survey.survey_results(user, plan)),
    }


@router.get("/targets/plans/{plan_id}/survey", response=SurveyOut, summary="A plan's survey")
def survey_get(request, plan_id: int):
    """The survey of a plan you see; ``results`` is null unless you may see them."""
    return survey_out(request.user, _plan(request, plan_id))


@router.post(
    "/targets/plans/{plan_id}/survey",
    response={201: SurveyAnsweredOut},
    summary="Answer a plan's survey (anonymous)",
)
def survey_post(request, plan_id: int, payload: SurveyAnswerIn):
    """Stored without you: only your level and team go with the answer."""
    plan = _plan(request, plan_id)
    try:
        survey.survey_answer(plan=plan, user=request.user, **payload.model_dump())
    except survey.SurveyConflict as exc:
        return _conflict(request, exc)
    return Status(201, {"answered": True, "message": _("Thank you: your answer was recorded.")})


@router.post("/targets/plans/{plan_id}/survey/close", response=SurveyOut, summary="Close a survey")
def survey_close(request, plan_id: int):
    plan = _plan(request, plan_id)
    survey.survey_set_open(actor=request.user, plan=plan, is_open=False)
    return survey_out(request.user, plan)


@router.post("/targets/plans/{plan_id}/survey/open", response=SurveyOut, summary="Reopen a survey")
def survey_open(request, plan_id: int):
    plan = _plan(request, plan_id)
    survey.survey_set_open(actor=request.user, plan=plan, is_open=True)
    return survey_out(request.user, plan)


def policy_out(policy: TargetPolicy) -> dict:
    data = {
        name: getattr(policy, name)
        for name in TargetPolicyOut.model_fields
        if hasattr(policy, name)
    }
    data["key_account_levels"] = key_account_levels(policy)
    data["quadrants"] = quadrant_rows(policy)
    data["updated_by"] = str(policy.updated_by) if policy.updated_by_id else None
    return data


def _require_configurer(request):
    if not permissions.can_configure(request.user):
        raise PermissionDenied(_("Only a sales-ops admin or a director changes target settings."))


@router.get("/targets/settings", response=TargetPolicyOut, summary="Target settings (configurers)")
def settings_get(request):
    _require_configurer(request)
    return policy_out(TargetPolicy.current())


@router.put(
    "/targets/settings",
    response=TargetPolicyOut,
    summary="Change target settings (configurers); in force at once, audited",
)
def settings_put(request, payload: TargetPolicyIn):
    """Send any subset of the settings; quadrants by code with any of their keys."""
    _require_configurer(request)
    return policy_out(policy_update(actor=request.user, **payload.model_dump(exclude_unset=True)))
