"""Huey task of the runs admin: a month's bonus run outside the request.

The page that starts it polls :func:`run_status` with the task's id: the percentage comes
from the month's latest run row (``BonusRun.progress``), completion from Huey's result
store (shared by the web process and the worker).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from huey.contrib.djhuey import HUEY, db_task
from huey.exceptions import TaskException

from salesops.core import clock

from . import ledger, monthend, permissions
from .models import BonusRun

logger = logging.getLogger(__name__)


class MonthLocked(ValidationError):
    """The month is approved and locked (the API answers 409)."""


def parse_month(text: str) -> dt.date:
    """``"2026-11"`` → 2026-11-01; ValidationError on ``month``."""
    try:
        return dt.datetime.strptime(str(text or "").strip(), "%Y-%m").date()
    except ValueError:
        raise ValidationError({"month": [_("Enter a month as YYYY-MM, e.g. 2026-11.")]}) from None


@db_task()
def run_month_task(month: dt.date, by_id: int | None = None):
    """Run ``month``; returns ``{"run": id}`` or ``{"error": message}`` (logged)."""
    by = get_user_model().objects.filter(pk=by_id).first() if by_id else None
    try:
        run = monthend.run_month(month, by=by)
    except ValidationError as exc:
        return {"error": " ".join(exc.messages)}
    except Exception as exc:  # the worker must report, not crash: the page shows the reason
        logger.exception("bonus run of %s failed", month)
        return {"error": str(_("The run failed: %(error)s") % {"error": exc})[:500]}
    return {"run": run.pk}


def check(*, by, month: dt.date) -> None:
    if not permissions.can_configure(by):
        raise PermissionDenied(_("Only a sales-ops admin or a director runs the bonuses."))
    if month > clock.today().replace(day=1):
        raise ValidationError({"month": [_("This month has not started yet.")]})
    if ledger.is_locked(month):
        raise MonthLocked(
            {
                "month": [
                    _("%(month)s is approved and locked: its bonus run cannot run again.")
                    % {"month": month.strftime("%Y-%m")}
                ]
            }
        )


def enqueue(*, by, month: dt.date) -> str:
    """Queue ``month``'s run (configurers; not a locked or future month). Returns the task
    id the progress page polls."""
    check(by=by, month=month)
    return run_month_task(month, by.pk).id


def run_status(task_id: str, month: dt.date) -> dict:
    """``{"done", "progress", "run", "error"}`` of a queued run."""
    try:
        result = HUEY.result(task_id, preserve=True)
    except TaskException as exc:
        return {"done": True, "progress": 100, "run": None, "error": str(exc)[:500]}
    if result is None:
        row = BonusRun.objects.filter(period=month).order_by("-started_at", "-pk").first()
        return {"done": False, "progress": row.progress if row else 0, "run": None, "error": ""}
    return {
        "done": True,
        "progress": 100,
        "run": result.get("run"),
        "error": result.get("error", ""),
    }
