"""Incentives API: the month-end bonus runs (configurers; 403 otherwise) and the rep
month factors (visible as statements are: a rep only their own, 404 for another's).

Bad month 422 naming ``month``; a locked month 409; an unknown run 404.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.responses import Status

from salesops.core.api_errors import error_response
from salesops.core.pagination import paginate

from . import monthend, permissions, tasks
from .models import BonusRun, RepFactors
from .schemas_runs import (
    BonusReplayOut,
    BonusRunIn,
    BonusRunOut,
    BonusRunPage,
    BonusRunQueued,
    BonusRunStatusOut,
    RepFactorsOut,
)

router = Router(tags=["incentives"])
MAX_ID = 2**63


class BonusRunQuery(Schema):
    month: str = ""
    state: str = ""
    page: int = 1
    page_size: int | None = None


class MonthQuery(Schema):
    month: str


class FactorsQuery(Schema):
    month: str
    rep: int | None = None


def _configurer(request) -> None:
    if not permissions.can_configure(request.user):
        raise PermissionDenied(_("Only a sales-ops admin or a director runs the bonuses."))


@router.get("/incentives/runs", response=BonusRunPage, summary="Bonus runs")
def list_runs(request, query: Query[BonusRunQuery]):
    _configurer(request)
    qs = BonusRun.objects.order_by("-period", "-started_at", "-pk")
    if query.month:
        qs = qs.filter(period=tasks.parse_month(query.month))
    if query.state:
        qs = qs.filter(state=query.state)
    return paginate(qs, query.page, query.page_size)


@router.post("/incentives/runs", response={202: BonusRunQueued}, summary="Run a month (queued)")
def start_run(request, payload: BonusRunIn):
    _configurer(request)
    month = tasks.parse_month(payload.month)
    try:
        task_id = tasks.enqueue(by=request.user, month=month)
    except tasks.MonthLocked as exc:
        return error_response(request, 409, "conflict", " ".join(exc.messages), "month")
    url = reverse("api:incentives_run_status", kwargs={"task_id": task_id})
    return Status(
        202, {"task_id": task_id, "status_url": f"{url}?{urlencode({'month': payload.month})}"}
    )


@router.get(
    "/incentives/runs/tasks/{task_id}",
    response=BonusRunStatusOut,
    url_name="incentives_run_status",
    summary="Progress of a queued run",
)
def run_status(request, task_id: str, query: Query[MonthQuery]):
    _configurer(request)
    return tasks.run_status(task_id[:64], tasks.parse_month(query.month))


@router.get("/incentives/runs/{run_id}", response=BonusRunOut, summary="One bonus run")
def get_run(request, run_id: int):
    _configurer(request)
    return get_object_or_404(BonusRun, pk=run_id if 0 < run_id < MAX_ID else 0)


@router.get(
    "/incentives/runs/{month}/replay",
    response=BonusReplayOut,
    summary="Recompute a month and compare with what was written",
)
def replay_month(request, month: str):
    _configurer(request)
    first = tasks.parse_month(month)
    differences = monthend.replay(first)
    return {"month": f"{first:%Y-%m}", "same": not differences, "differences": differences}


@router.get("/incentives/factors", response=list[RepFactorsOut], summary="Rep month factors")
def list_factors(request, query: Query[FactorsQuery]):
    month = tasks.parse_month(query.month)
    qs = RepFactors.objects.filter(period=month).order_by("rep_id")
    visible = permissions.visible_rep_ids(request.user)
    if query.rep is not None:
        if not permissions.can_see_rep(request.user, query.rep):
            return error_response(
                request, 404, "not_found", _("Not found, or you do not have access to it.")
            )
        qs = qs.filter(rep_id=query.rep)
    elif visible is not None:
        qs = qs.filter(rep_id__in=visible)
    return list(qs)
