"""The weekly snapshot as a default scheduled job and as Huey tasks.

* The ``outcomes.weekly_snapshot`` sweep (core.sweeps: run by the worker every hour and by
  ``salesops tick``) snapshots the last complete week once it has ended — on Monday, or
  later if the worker was down — and does nothing when that week is stored already.
* :func:`snapshot_week_task` and :func:`backfill_task` run the same outside a request
  (the settings page's "Backfill" button queues the latter with the run it created).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from huey.contrib.djhuey import db_task

from salesops.core import sweeps

from . import services
from .models import BackfillRun, BackfillState, OutcomeSnapshot

SWEEP_NAME = "outcomes.weekly_snapshot"


@sweeps.sweep(SWEEP_NAME, every_minutes=60, description="Snapshot last week's outcome metrics.")
def weekly_snapshot_sweep(now) -> str:
    """Once per week, after it ended: every outcome metric of the last complete week."""
    week = services.last_complete_week(timezone.localtime(now).date())
    if OutcomeSnapshot.objects.filter(week_start=week).exists():
        return f"week of {week} stored already"
    rows = services.snapshot_week(week)
    return f"week of {week}: {rows} row(s)"


@db_task()
def snapshot_week_task(week: dt.date) -> int:
    return services.snapshot_week(week)


@db_task()
def backfill_task(run_id: int) -> dict:
    """Compute the queued backfill ``run_id`` (its progress and result are on the row)."""
    run = BackfillRun.objects.filter(pk=run_id, state=BackfillState.QUEUED).first()
    if run is None:
        return {"run": run_id, "state": "gone"}
    run = services.backfill_execute(run)
    return {"run": run.pk, "state": run.state, "weeks": run.weeks, "rows": run.rows}
