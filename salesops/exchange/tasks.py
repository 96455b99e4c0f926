"""The worker's side of an import: the dry run and the commit of a job, outside the
request. The page polls the job row (``state``, ``progress``, ``counts``)."""

from __future__ import annotations

import logging

from django.utils.translation import gettext as _
from huey.contrib.djhuey import db_task

from . import engine
from .models import ImportJob, JobState

logger = logging.getLogger(__name__)


def _run(job_id: int, *, dry_run: bool) -> None:
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None:
        return
    try:
        counts = engine.run(job, dry_run=dry_run)
    except Exception as exc:  # the worker must report, not crash: the page shows the reason
        logger.exception("import %s failed", job_id)
        ImportJob.objects.filter(pk=job_id).update(
            state=JobState.FAILED,
            error=str(_("The import stopped: %(error)s") % {"error": exc})[:1000],
        )
        return
    engine.finish(job, counts, dry_run=dry_run)


@db_task()
def check_job(job_id: int) -> None:
    _run(job_id, dry_run=True)


@db_task()
def commit_job(job_id: int) -> None:
    _run(job_id, dry_run=False)
