"""Targets API: health (SPEC T4, T5) — the dashboard's figures, the monthly snapshots
(list; take one now: configurers) and the process-health awards.

A plan the caller may not see answers 404; team rows are those the caller sees
(:func:`health.visible_team_ids`), rep rows those of :func:`permissions.visible_allocations`.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from salesops.core.pagination import paginate

from . import health, permissions, snapshots
from .models import AwardEntitlement
from .schemas_health import AwardOut, HealthOut, SnapshotIn, SnapshotPage, SnapshotTaken
from .selectors import plan_or_404
from .views.health import visible_snapshots

router = Router(tags=["targets"])


def _figures(f: health.Figures) -> dict:
    return {
        "target_year": f.target_year,
        "target_to_date": f.target_to_date,
        "achieved": f.achieved,
        "qualified_pipeline": f.qualified_pipeline,
        "gap": f.gap,
        "coverage": f.coverage,
        "completion": f.completion,
        "status": f.status,
    }


def _require_health(plan) -> None:
    if not health.has_health(plan):
        raise HttpError(409, _("Target health needs a decomposed or published plan."))


@router.get("/targets/plans/{plan_id}/health", response=HealthOut, summary="Target health")
def plan_health(request, plan_id: int):
    """Every team row and rep row of the plan you may see, computed now."""
    plan = plan_or_404(request.user, plan_id)
    _require_health(plan)
    result = health.compute(plan)
    paths = {row.team.pk: row.team.path for row in result.teams}
    teams = health.visible_team_ids(request.user, plan, paths)
    reps = set(permissions.visible_allocations(request.user, plan).values_list("rep_id", flat=True))
    return {
        "plan_id": plan.pk,
        "version": result.version,
        "today": result.today,
        "month": result.month,
        "thresholds": {
            "coverage_red": result.policy.coverage_red,
            "coverage_amber": result.policy.coverage_amber,
        },
        "teams": [
            {
                "team_id": row.team.pk,
                "team": row.team.name,
                "parent_id": row.team.parent_id,
                "reps": row.reps,
                "figures": _figures(row.figures),
            }
            for row in result.teams
            if row.team.pk in teams
        ],
        "reps": [
            {
                "rep_id": row.rep.pk,
                "rep": row.rep.label,
                "team_id": row.team_id,
                "figures": _figures(row.figures),
            }
            for row in result.reps
            if row.rep.pk in reps
        ],
    }


class SnapshotQuery(Schema):
    month: dt.date | None = None
    team_id: int | None = None
    reps: bool = True
    page: int = 1
    page_size: int | None = None


@router.get("/targets/plans/{plan_id}/snapshots", response=SnapshotPage, summary="Snapshots")
def list_snapshots(request, plan_id: int, query: Query[SnapshotQuery]):
    """The monthly snapshots you may see, by month, team and rep (``month``: that month;
    ``team_id``: that team's rows; ``reps=false``: team rows only)."""
    plan = plan_or_404(request.user, plan_id)
    rows = visible_snapshots(request.user, plan)
    if query.month:
        rows = rows.filter(month=query.month.replace(day=1))
    if query.team_id is not None:
        rows = rows.filter(team_id=query.team_id)
    if not query.reps:
        rows = rows.filter(rep__isnull=True)
    return paginate(rows, query.page, query.page_size)


@router.post(
    "/targets/plans/{plan_id}/snapshots",
    response={201: SnapshotTaken},
    summary="Take a snapshot now",
)
def take_snapshot(request, plan_id: int, payload: SnapshotIn):
    """Store (or retake) the month's snapshot of every team and rep. Configurers only."""
    plan = plan_or_404(request.user, plan_id)
    if not permissions.can_configure(request.user):
        raise PermissionDenied(_("Only sales-ops admins and directors take snapshots."))
    _require_health(plan)
    rows = snapshots.take_snapshot(plan=plan, month=payload.month)
    month = rows[0].month if rows else (payload.month or health.local_day(None)).replace(day=1)
    return Status(
        201,
        {
            "month": month,
            "teams": sum(1 for r in rows if r.rep_id is None),
            "reps": sum(1 for r in rows if r.rep_id is not None),
        },
    )


@router.get("/targets/plans/{plan_id}/awards", response=list[AwardOut], summary="Awards")
def list_awards(request, plan_id: int):
    """The process-health awards of the plan's teams you may see, by quarter."""
    plan = plan_or_404(request.user, plan_id)
    paths = dict(
        plan.team.__class__.objects.filter(path__startswith=plan.team.path).values_list(
            "pk", "path"
        )
    )
    teams = health.visible_team_ids(request.user, plan, paths)
    return list(
        AwardEntitlement.objects.filter(plan=plan, team_id__in=teams)
        .select_related("team")
        .prefetch_related("snapshots")
        .order_by("quarter", "team__path")
    )
