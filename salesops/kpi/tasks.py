"""Huey task of the runs admin: a scheme's score run for a period, outside the request.

The page that starts it polls :func:`run_status` with the task's id: the percentage comes
from the run row (``ScoreRun.progress``, written by the progress callback), completion
from Huey's result store (shared by the web process and the worker).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from huey.contrib.djhuey import HUEY, db_task
from huey.exceptions import TaskException

from salesops.core import clock

from . import permissions, runs
from .models import RunState, Scheme, ScoreRun

logger = logging.getLogger(__name__)


def _run_row(scheme_id: int, start: dt.date, end: dt.date):
    return ScoreRun.objects.filter(scheme_id=scheme_id, period_start=start, period_end=end)


@db_task()
def run_period_task(scheme_id: int, start: dt.date, end: dt.date, by_id: int | None = None):
    """Compute the scheme's run for ``start``–``end``; returns ``{"run": id, "state": …}``
    or ``{"error": message}`` (logged) — the page shows either."""
    scheme = Scheme.objects.filter(pk=scheme_id).first()
    if scheme is None:
        return {"error": str(_("The scheme no longer exists."))}
    by = get_user_model().objects.filter(pk=by_id).first() if by_id else None

    def progress(percent) -> None:
        _run_row(scheme_id, start, end).update(progress=max(0, min(100, int(percent))))

    try:
        run = runs.run_period(scheme, start, end, by=by, progress=progress)
    except ValidationError as exc:
        return {"error": " ".join(exc.messages)}
    except Exception as exc:  # the worker must report, not crash: the page shows the reason
        logger.exception("kpi run of scheme %s for %s–%s failed", scheme_id, start, end)
        return {"error": str(_("The run failed: %(error)s") % {"error": exc})[:500]}
    return {"run": run.pk, "state": run.state}


def period_run_enqueue(*, by, scheme: Scheme, start: dt.date, end: dt.date) -> str:
    """Queue the period's run (configurers); a FINAL run is refused (replay it instead).
    Returns the task id the progress page polls."""
    if not permissions.can_configure(by):
        raise PermissionDenied(_("Only a sales-ops admin or a director runs KPI periods."))
    errors = {}
    if start > end:
        errors["period"] = [_("The period's start is after its end.")]
    elif start > clock.today():
        errors["period"] = [_("This period has not started yet.")]
    elif not runs.version_in_force(scheme, start, end):
        errors["scheme"] = [
            _("“%(scheme)s” has no version in force for this period; save one first.")
            % {"scheme": scheme}
        ]
    elif _run_row(scheme.pk, start, end).filter(state=RunState.FINAL).exists():
        errors["period"] = [
            _("This period is closed and its run is final; replay it to check it instead.")
        ]
    if errors:
        raise ValidationError(errors)
    # The bar starts from 0 for a run being recomputed (its row keeps the last run's 100).
    _run_row(scheme.pk, start, end).update(progress=0)
    result = run_period_task(scheme.pk, start, end, by.pk)
    return result.id


def enqueue_after_commit(*, by, scheme: Scheme, start: dt.date, end: dt.date) -> None:
    user_id = by.pk if by else None
    transaction.on_commit(lambda: run_period_task(scheme.pk, start, end, user_id))


def run_status(task_id: str, scheme: Scheme, start: dt.date, end: dt.date) -> dict:
    """``{"done", "progress", "run", "error"}`` of a queued run."""
    try:
        result = HUEY.result(task_id, preserve=True)
    except TaskException as exc:
        return {"done": True, "progress": 100, "run": None, "error": str(exc)[:500]}
    row = _run_row(scheme.pk, start, end).first()
    if result is None:
        return {
            "done": False,
            "progress": row.progress if row else 0,
            "run": None,
            "error": "",
        }
    return {
        "done": True,
        "progress": 100,
        "run": result.get("run"),
        "error": result.get("error", ""),
    }
