"""The weekly snapshot as a default scheduled job and as Huey tasks.

* The ``outcomes.weekly_snapshot`` sweep (core.sweeps: run by the worker every hour and by
  ``salesops tick``) snapshots the last complete week once it has ended — on Monday, or
  later if the worker was down — and does nothing when that week is stored already.
* :func:`snapshot_week_task` and :func:`backfill_task` run the same outside a request
  (the settings page's "Backfill" button queues the latter).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone
from huey.contrib.djhuey import db_task

from salesops.core import sweeps

from . import services
from .models import OutcomeSnapshot

logger = logging.getLogger(__name__)
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
def backfill_task() -> dict:
    try:
        return services.backfill()
    except Exception:  # the worker must report, not crash
        logger.exception("outcomes backfill failed")
        raise
