"""The diagnosis outside the request: a run started from the page (Huey), and the weekly
run of the organisation and of every managed team (a sweep, Monday, when switched on)."""

from __future__ import annotations

import datetime as dt

from huey.contrib.djhuey import db_task

from salesops.core import clock, sweeps
from salesops.org.models import Team

from . import services
from .models import DiagnosisPolicy, DiagnosisRun, RunState, RunTrigger
from .scope import org_scope, team_scope

SWEEP_NAME = "diagnosis.weekly"


@db_task()
def run_task(run_id: int) -> dict:
    run = DiagnosisRun.objects.filter(pk=run_id, state=RunState.RUNNING).first()
    if run is None:
        return {"run": run_id, "state": "gone"}
    run = services.run_execute(run)
    return {"run": run.pk, "state": run.state}


@sweeps.sweep(SWEEP_NAME, every_minutes=60, description="Run the weekly sales-process diagnosis.")
def weekly_sweep(now) -> str:
    """On Mondays (local time), once per scope and week: the organisation and each team
    that has a manager. Running it again the same week writes nothing."""
    local = clock.localnow()
    if local.weekday() != 0:
        return "not the diagnosis day"
    if not DiagnosisPolicy.current().weekly_run:
        return "weekly diagnosis switched off"
    monday = local.replace(hour=0, minute=0, second=0, microsecond=0)
    done = set(
        DiagnosisRun.objects.filter(
            trigger=RunTrigger.WEEKLY, as_of__gte=monday, as_of__lt=monday + dt.timedelta(days=7)
        ).values_list("scope_key", flat=True)
    )
    scopes = [org_scope()] + [
        team_scope(team) for team in Team.objects.filter(manager__isnull=False).order_by("path")
    ]
    written = 0
    for scope in scopes:
        if scope.key in done:
            continue
        services.run_now(scope=scope, trigger=RunTrigger.WEEKLY)
        written += 1
    return f"{written} diagnosis run(s)" if written else "diagnosed this week already"
