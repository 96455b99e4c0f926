"""Incentives API, plans area (prefix /incentives): bonus plans and versions, the formula
check, Settings · Incentives and mentor pairs. Configurers only (403 otherwise; a manager
may read the mentor pairs of their team); an unknown or invisible id 404; bad input 422
naming the field, nothing written."""

from __future__ import annotations

from contextlib import contextmanager

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.responses import Status

from salesops.core.api_errors import error_response
from salesops.core.pagination import paginate
from salesops.org.models import Team

from . import mentors, permissions, plan_policy, plans
from .models import BonusPlan, IncentivePolicy, MentorPair
from .schemas_plans import (
    BonusPlanDetailOut,
    BonusPlanFormulaCheckIn,
    BonusPlanFormulaCheckOut,
    BonusPlanIn,
    BonusPlanOut,
    BonusPlanPage,
    BonusPlanPatch,
    BonusPlanVersionIn,
    BonusPlanVersionOut,
    IncentivePolicyIn,
    IncentivePolicyOut,
    MentorPairIn,
    MentorPairOut,
    MentorPairPage,
    MentorPairPatch,
)

router = Router(tags=["incentives"])
MAX_ID = 2**63


class BonusPlanListQuery(Schema):
    q: str = ""
    role: str = ""
    active: str = ""
    page: int = 1
    page_size: int | None = None


class MentorPairListQuery(Schema):
    q: str = ""
    state: str = ""
    page: int = 1
    page_size: int | None = None


def _configurer(request) -> None:
    if not permissions.can_configure(request.user):
        raise PermissionDenied(_("Only a sales-ops admin or a director configures bonus plans."))


def _plan(request, plan_id: int) -> BonusPlan:
    _configurer(request)
    return get_object_or_404(BonusPlan, pk=plan_id if 0 < plan_id < MAX_ID else 0)


# --- plans and versions -------------------------------------------------------------------


@router.get("/incentives/plans", response=BonusPlanPage, summary="Bonus plans")
def list_plans(request, query: Query[BonusPlanListQuery]):
    _configurer(request)
    qs = plans.plans_list(q=query.q[:200], role=query.role, active=query.active)
    return paginate(qs, query.page, query.page_size)


@router.post("/incentives/plans", response={201: BonusPlanOut}, summary="Add a bonus plan")
def create_plan(request, payload: BonusPlanIn):
    _configurer(request)
    team = None
    if payload.team_id is not None:
        team = (
            Team.objects.filter(pk=payload.team_id).first()
            if 0 < payload.team_id < MAX_ID
            else None
        )
        if team is None:
            return error_response(request, 422, "validation_error", _("Unknown team."), "team_id")
    plan = plans.create_plan(
        by=request.user,
        name=payload.name,
        role=payload.role,
        team=team,
        description=payload.description,
    )
    return Status(201, plan)


@router.get("/incentives/plans/{plan_id}", response=BonusPlanDetailOut, summary="One plan")
def get_plan(request, plan_id: int):
    return _plan(request, plan_id)


@router.patch("/incentives/plans/{plan_id}", response=BonusPlanOut, summary="Rename, (de)activate")
def update_plan(request, plan_id: int, payload: BonusPlanPatch):
    plan = _plan(request, plan_id)
    return plans.update_plan(by=request.user, plan=plan, **payload.dict(exclude_unset=True))


@router.post(
    "/incentives/plans/{plan_id}/versions",
    response={201: BonusPlanVersionOut},
    summary="Save a new version",
)
def create_version(request, plan_id: int, payload: BonusPlanVersionIn):
    plan = _plan(request, plan_id)
    components = [c.dict(exclude_none=True) for c in payload.components]
    version = plans.save_version(
        plan,
        by=request.user,
        effective_on=payload.effective_on,
        components=components,
        note=payload.note,
    )
    return Status(201, version)


@router.post(
    "/incentives/formulas/check",
    response=BonusPlanFormulaCheckOut,
    url_name="incentives_check_formula",
    summary="Check a formula (and preview it) without saving",
)
def check_formula(request, payload: BonusPlanFormulaCheckIn):
    _configurer(request)
    return plans.check_formula(payload.kind, payload.formula)


# --- Settings · Incentives ----------------------------------------------------------------


@router.get("/incentives/policy", response=IncentivePolicyOut, summary="Incentive settings")
def get_policy(request):
    _configurer(request)
    return IncentivePolicy.current()


@router.put("/incentives/policy", response=IncentivePolicyOut, summary="Change incentive settings")
def update_policy(request, payload: IncentivePolicyIn):
    _configurer(request)
    return plan_policy.update(by=request.user, **payload.dict(exclude_unset=True))


# --- mentor pairs -------------------------------------------------------------------------


@router.get("/incentives/mentors", response=MentorPairPage, summary="Mentor pairs")
def list_mentors(request, query: Query[MentorPairListQuery]):
    mentors.require_viewer(request.user)
    qs = mentors.pairs_list(request.user, q=query.q[:200], state=query.state)
    return paginate(qs, query.page, query.page_size)


@router.post("/incentives/mentors", response={201: MentorPairOut}, summary="Add a mentor pair")
def create_mentor(request, payload: MentorPairIn):
    mentors.require_configurer(request.user)
    with _api_field_names():
        pair = mentors.create_pair(
            by=request.user,
            mentor=payload.mentor_id,
            mentee=payload.mentee_id,
            starts_on=payload.starts_on,
            ends_on=payload.ends_on,
            note=payload.note,
        )
    return Status(201, pair)


@router.patch("/incentives/mentors/{pair_id}", response=MentorPairOut, summary="Change or end")
def update_mentor(request, pair_id: int, payload: MentorPairPatch):
    mentors.require_configurer(request.user)
    pair = get_object_or_404(MentorPair, pk=pair_id if 0 < pair_id < MAX_ID else 0)
    data = payload.dict(exclude_unset=True)
    fields = {key.removesuffix("_id"): value for key, value in data.items()}
    with _api_field_names():
        return mentors.update_pair(by=request.user, pair=pair, **fields)


@contextmanager
def _api_field_names():
    """The service names the people ``mentor`` / ``mentee``; the API sends ``…_id``."""
    try:
        yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError(
            {
                (f"{key}_id" if key in ("mentor", "mentee") else key): errors
                for key, errors in exc.error_dict.items()
            }
        ) from None
