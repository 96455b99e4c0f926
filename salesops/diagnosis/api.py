"""The diagnosis over the API: the latest run of a scope (with the previous one beside it)
and starting a run. Parse → scope/selector/service → serialise."""

from __future__ import annotations

import datetime as dt

from ninja import Router, Schema, Status

from . import selectors, services, tasks
from .scope import scope_for

router = Router(tags=["diagnosis"])


class DiagnosisRunOut(Schema):
    id: int
    scope: str
    scope_label: str
    as_of: dt.datetime
    state: str
    progress: int
    results: list[dict]


class DiagnosisOut(Schema):
    current: DiagnosisRunOut | None
    previous: DiagnosisRunOut | None


def _out(run) -> dict | None:
    if run is None:
        return None
    return {
        "id": run.pk,
        "scope": run.scope_key,
        "scope_label": run.scope_label,
        "as_of": run.as_of,
        "state": run.state,
        "progress": run.progress,
        "results": run.results,
    }


@router.get("/diagnosis", response=DiagnosisOut)
def diagnosis_latest(request, team: int | None = None, rep: int | None = None):
    """The latest finished diagnosis of the scope (default: the caller's own) and the one
    before it."""
    scope = scope_for(request.user, team=team, rep=rep)
    current, previous = selectors.current_and_previous(scope)
    return {"current": _out(current), "previous": _out(previous)}


@router.post("/diagnosis/runs", response={202: DiagnosisRunOut})
def diagnosis_run(request, team: int | None = None, rep: int | None = None):
    """Start a diagnosis of the scope (computed by the worker; poll ``GET /diagnosis``)."""
    scope = scope_for(request.user, team=team, rep=rep)
    run = selectors.running(scope) or services.run_create(scope=scope, actor=request.user)
    tasks.run_task(run.pk)
    run.refresh_from_db()
    return Status(202, _out(run))
