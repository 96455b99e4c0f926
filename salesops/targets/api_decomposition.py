"""Targets API: decomposition (T3) — the rep targets of a plan (only those the caller may
see), decomposing, the manager's adjustment before publishing, and "my target".

A plan the caller may not see answers 404; a step they may not take 403; a plan in the
wrong state 409 naming ``state``; bad input 422 naming the field.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from ninja import Router

from salesops.core.api_errors import django_errors, error_response

from . import decomposition, permissions
from . import selectors_decomposition as selectors
from .schemas_decomposition import AdjustIn, DecompositionOut, MyTargetOut

router = Router(tags=["targets"])


def _plan(request, plan_id: int):
    return get_object_or_404(permissions.visible_plans(request.user), pk=plan_id)


def _conflict(request, exc: decomposition.PlanStateConflict):
    errors = django_errors(exc)
    return error_response(
        request, 409, "conflict", errors[0]["message"], errors[0]["field"], errors=errors
    )


def _decomposition(request, plan) -> dict:
    data = selectors.table(request.user, plan)
    return {
        "plan_id": plan.pk,
        "state": plan.state,
        "version": plan.version,
        "pool": plan.pool,
        "allocations": data["rows"],
        "team_totals": [
            {"team_id": block.team.pk, "team": block.team.name, "total": block.total}
            for block in data["teams"]
        ],
    }


@router.get(
    "/targets/plans/{plan_id}/allocations",
    response=DecompositionOut,
    summary="Rep targets of a plan",
)
def list_allocations(request, plan_id: int):
    """The rep targets of the plan's version in force that you may see, and the totals
    of your teams (a rep: their own row and their team's total)."""
    plan = _plan(request, plan_id)
    return _decomposition(request, plan)


@router.post(
    "/targets/plans/{plan_id}/decompose",
    response=DecompositionOut,
    summary="Decompose a plan",
)
def decompose(request, plan_id: int):
    """Split the pool to the reps by the capability-resource matrix (configurers; the
    plan must have a chosen scenario and not be published)."""
    plan = _plan(request, plan_id)
    try:
        decomposition.decompose(plan=plan, actor=request.user)
    except decomposition.PlanStateConflict as exc:
        return _conflict(request, exc)
    plan.refresh_from_db()
    return _decomposition(request, plan)


@router.put(
    "/targets/plans/{plan_id}/allocations",
    response=DecompositionOut,
    summary="Adjust rep targets before publishing",
)
def adjust(request, plan_id: int, payload: AdjustIn):
    """New amounts for some reps, with a reason; the total must still equal the pool.
    Managers change only their own reps."""
    plan = _plan(request, plan_id)
    try:
        decomposition.shares_adjust(
            plan=plan, actor=request.user, amounts=payload.amounts, reason=payload.reason
        )
    except decomposition.PlanStateConflict as exc:
        return _conflict(request, exc)
    plan.refresh_from_db()
    return _decomposition(request, plan)


@router.get("/targets/me", response=list[MyTargetOut], summary="My targets")
def my_targets(request):
    """Your own target in each published plan, with months, quarters, your team's total
    and why you got it."""
    out = []
    for info in selectors.my_targets(request.user):
        allocation = info["allocation"]
        out.append(
            {
                "plan_id": info["plan"].pk,
                "plan": info["plan"].name,
                "fiscal_year": info["plan"].fiscal_year,
                "version": allocation.version,
                "amount": info["amount"],
                "months": [
                    {"month": f"{month:%Y-%m}", "amount": amount}
                    for month, amount in info["months"]
                ],
                "quarters": info["quarters"],
                "team": info["team"].name,
                "team_total": info["team_total"],
                "median_deal": info["median_deal"],
                "key_win_rate": info["key_win_rate"],
                "team_median_deal": info["team_median_deal"],
                "team_median_win_rate": info["team_median_win"],
                "medians_scope": info["medians_scope"],
                "quadrant": info["quadrant"],
                "quadrant_label": info["quadrant_label"],
                "weight": info["weight"],
                "total_weight": info["total_weight"],
                "share": allocation.share,
                "pool": info["pool"],
                "adjusted": info["adjusted"],
                "reason": info["reason"],
                "why": " ".join(info["why"]),
            }
        )
    return out
