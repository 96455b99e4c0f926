"""What the import pages and the import API share: which importer a user may use, which
jobs a user sees, and a job's report rows as the pages and the API show them."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import translation
from django.utils.translation import gettext as _

from .. import permissions, registry
from ..models import ImportJob, JobState, RowStatus

RUNNING = (JobState.CHECKING, JobState.COMMITTING)
# The statuses a commit writes ("Import N good rows").
GOOD = (RowStatus.CREATE, RowStatus.UPDATE)


def importer_for(user, entity: str) -> registry.Importer:
    """The importer of ``entity``: 404 for an unknown entity, 403 when ``user`` may not
    import it."""
    importer = registry.get(entity or "")
    if importer is None:
        raise Http404(_("Unknown import “%(entity)s”.") % {"entity": entity})
    if not importer.can_import(user):
        raise PermissionDenied(_("You may not import this kind of record."))
    return importer


def importable(user) -> list[registry.Importer]:
    return [i for i in registry.all_importers() if i.can_import(user)]


def may_import_any(user) -> bool:
    """Whether the menu offers the import page (the pages check each entity again)."""
    return any(i.can_import(user) for i in registry.all_importers())


def visible_jobs(user):
    """The imports ``user`` sees: their own; every import for a configurer."""
    qs = ImportJob.objects.select_related("created_by")
    if permissions.can_configure(user):
        return qs
    return qs.filter(created_by=user)


def job_for(user, pk: int) -> ImportJob:
    """A job ``user`` may see, else 404 (another user's job is not revealed)."""
    job = get_object_or_404(ImportJob.objects.select_related("created_by"), pk=pk)
    if not permissions.can_see_job(user, job):
        raise Http404(_("Not found, or you do not have access to it."))
    return job


def entity_label(entity: str) -> str:
    importer = registry.get(entity)
    return str(importer.label) if importer is not None and importer.label else entity


def good_count(job: ImportJob) -> int:
    counts = job.counts or {}
    return sum(int(counts.get(status, 0) or 0) for status in GOOD)


def row_cells(job: ImportJob, row) -> list[str]:
    """The row's cells in the file's column order (the engine keeps a list; a dict keyed
    by header is read in header order)."""
    values = row.values
    if isinstance(values, dict):
        return [str(values.get(h, "")) for h in job.headers or []]
    return [str(v) for v in values or []]


def field_labels(entity: str) -> dict[str, str]:
    """Field key → its name in the reader's language (the report rows keep the zh-Hans
    name the file was checked with)."""
    importer = registry.get(entity)
    if importer is None:
        return {}
    chinese = (translation.get_language() or "").lower().startswith("zh")
    labels = {}
    for field in importer.fields():
        zh, en = field.names()
        labels[field.key] = zh if chinese else en
    return labels


def row_problems(row, labels: dict[str, str] | None = None) -> list[dict]:
    """``[{"field", "label", "message"}]`` of a report row, the row's own message last."""
    labels = labels or {}
    problems = [
        {
            "field": e.get("field", ""),
            "label": labels.get(e.get("field", "")) or e.get("label") or e.get("field", ""),
            "message": e.get("message", ""),
        }
        for e in row.errors or []
    ]
    if row.message:
        problems.append({"field": "", "label": "", "message": row.message})
    return problems


def status_counts(job: ImportJob) -> list[dict]:
    """Every status with its label and count, in the order of :class:`RowStatus`."""
    counts = job.counts or {}
    return [
        {"code": code, "label": label, "count": int(counts.get(code, 0) or 0)}
        for code, label in RowStatus.choices
    ]
