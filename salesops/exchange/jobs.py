"""Start an import job from an upload and map its headers to fields."""

from __future__ import annotations

import hashlib

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salesops.core.policies import save_bounded

from . import engine, files, mapping, permissions, registry, tasks, versions
from .models import ExchangePolicy, ImportJob, JobState


def check_upload_size(size: int, filename: str) -> None:
    """Refuse an upload over Settings · Import and export's size limit before reading it."""
    files.check_size(size, filename, ExchangePolicy.current().max_file_mb * 1_048_576)


def read_upload(data: bytes, filename: str) -> files.Table:
    policy = ExchangePolicy.current()
    return files.read(
        data, filename, max_bytes=policy.max_file_mb * 1_048_576, max_rows=policy.max_rows
    )


def start_job(*, actor, entity: str, filename: str, data: bytes) -> ImportJob:
    """Read the upload (refusing a bad file before anything is stored), keep it under
    MEDIA_ROOT/imports and create the job with the headers mapped where the names say."""
    importer = registry.get(entity)
    if importer is None:
        raise PermissionDenied(_("Unknown import “%(entity)s”.") % {"entity": entity})
    if not importer.can_import(actor):
        raise PermissionDenied(_("You may not import this kind of record."))
    table = read_upload(data, filename)
    version, notices = versions.check_file(entity, table)
    digest = hashlib.sha256(data).hexdigest()
    suffix = filename.rsplit(".", 1)[-1].lower()[:5] if "." in filename else "bin"
    path = engine.upload_dir() / f"{digest}.{suffix}"
    path.write_bytes(data)
    job = ImportJob(
        entity=entity,
        filename=filename[:255],
        path=str(path),
        sha256=digest,
        size=len(data),
        sheet=table.sheet[:100],
        template_version=version.version if version is not None else None,
        headers=table.headers,
        notices=list(notices),
        row_count=len(table.rows),
        created_by=actor,
    )
    mapping.apply_suggestions(
        job, mapping.suggest(importer, table.headers, version=version), importer
    )
    job.save()
    return job


BUSY = (JobState.CHECKING, JobState.COMMITTING)


def _editable(actor, job: ImportJob) -> None:
    if not permissions.can_see_job(actor, job):
        raise PermissionDenied(_("This import is not yours."))
    if job.state in BUSY:
        raise ValidationError(
            {"state": _("This import is already running; wait until it has finished.")}
        )
    if job.state == JobState.DONE:
        raise ValidationError(
            {"state": _("This file has been imported. Upload it again to import it again.")}
        )


def request_check(*, actor, job: ImportJob) -> ImportJob:
    """Start the dry run in the worker (the page shows its progress)."""
    _editable(actor, job)
    if not job.mapping_confirmed:
        raise ValidationError(
            {"mapping": _("Confirm which field each column goes to, then check the file.")}
        )
    _start(job, JobState.CHECKING)
    tasks.check_job(job.pk)
    job.refresh_from_db()
    return job


def request_commit(*, actor, job: ImportJob) -> ImportJob:
    """Write the good rows in the worker, after a dry run."""
    _editable(actor, job)
    if job.state != JobState.CHECKED:
        raise ValidationError({"state": _("Check the file first, then import it.")})
    if not (job.counts.get("create", 0) + job.counts.get("update", 0)):
        raise ValidationError(
            {
                "state": _(
                    "No row can be imported; fix the file using the report and upload it again."
                )
            }
        )
    _start(job, JobState.COMMITTING)
    tasks.commit_job(job.pk)
    job.refresh_from_db()
    return job


def _start(job: ImportJob, state: str) -> None:
    # Claimed with a conditional update: two clicks (or two tabs) start one run.
    claimed = (
        ImportJob.objects.filter(pk=job.pk)
        .exclude(state__in=BUSY)
        .update(state=state, progress=0, error="")
    )
    if not claimed:
        raise ValidationError(
            {"state": _("This import is already running; wait until it has finished.")}
        )


POLICY_LIMITS = {
    "max_file_mb": (1, 500),
    "max_rows": (1, 1_000_000),
    "dual_track_days": (0, 3650),
}


@transaction.atomic
def policy_save(*, actor, **data) -> ExchangePolicy:
    """Settings · Import and export: every bad value at once, by field; nothing saved."""
    if not permissions.can_configure(actor):
        raise PermissionDenied(_("Only a sales-ops admin or a director changes these settings."))
    return save_bounded(ExchangePolicy, actor=actor, data=data, limits=POLICY_LIMITS)
