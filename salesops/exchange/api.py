"""Imports API (X5): upload a file (201 with the job), read one's own jobs (a configurer:
everyone's), confirm the column mapping, start the check and the commit (the worker runs
them; poll the job's ``state`` and ``progress``), read the report rows, download a
template.

A file that cannot be imported is a 400 naming ``file`` (nothing is written); an entity
the user may not import a 403; another user's job a 404.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from salesops.core.api_errors import error_response
from salesops.core.pagination import paginate

from . import jobs, mapping, template_book
from .files import FileRefused
from .models import RowStatus
from .schemas import ImportJobOut, ImportJobPage, ImportMappingIn, ImportRowPage
from .views.common import (
    field_labels,
    importer_for,
    job_for,
    row_cells,
    row_problems,
    visible_jobs,
)

router = Router(tags=["imports"])


class ImportJobQuery(Schema):
    q: str = ""
    entity: str = ""
    state: str = ""
    page: int = 1
    page_size: int | None = None


class ImportRowQuery(Schema):
    status: str = ""
    page: int = 1
    page_size: int | None = None


def _file_error(request, message: str):
    return error_response(request, 400, "file_refused", message, "file")


@router.post("/imports", response={201: ImportJobOut}, summary="Upload a file to import")
def upload(request, entity: Form[str], file: File[UploadedFile] = None):
    """multipart/form-data: ``entity`` (lead, account, contact …) and ``file`` (.xlsx,
    .xls or .csv). Returns the job with its headers and the suggested mapping."""
    importer_for(request.user, entity[:40])
    if file is None:
        return _file_error(request, _("Choose an Excel (.xlsx, .xls) or CSV file to upload."))
    try:
        jobs.check_upload_size(file.size, file.name or "upload")
        job = jobs.start_job(
            actor=request.user, entity=entity[:40], filename=file.name or "upload", data=file.read()
        )
    except FileRefused as exc:
        return _file_error(request, exc.reason)
    return Status(201, job)


@router.get("/imports", response=ImportJobPage, summary="Imports")
def list_jobs(request, query: Query[ImportJobQuery]):
    qs = visible_jobs(request.user)
    if query.q:
        qs = qs.filter(filename__icontains=query.q[:100])
    if query.entity:
        qs = qs.filter(entity=query.entity[:40])
    if query.state:
        qs = qs.filter(state=query.state[:12])
    return paginate(qs, query.page, query.page_size)


@router.get("/imports/templates/{entity}", summary="Download an entity's template (.xlsx)")
def template(request, entity: str, with_data: bool = False):
    """``with_data``: the records you see in the template's columns (export for
    re-import) instead of a sample row."""
    importer = importer_for(request.user, entity[:40])
    return template_book.template_response(importer, user=request.user, with_data=with_data)


@router.get("/imports/{job_id}", response=ImportJobOut, summary="One import")
def get_job(request, job_id: int):
    return job_for(request.user, job_id)


@router.get("/imports/{job_id}/rows", response=ImportRowPage, summary="An import's report rows")
def job_rows(request, job_id: int, query: Query[ImportRowQuery]):
    """The rows of the last check (or of the commit) in file order; ``status``: create,
    update, unchanged, duplicate or error."""
    job = job_for(request.user, job_id)
    qs = job.rows.order_by("row_no")
    if query.status:
        if query.status not in RowStatus.values:
            raise ValidationError(
                {
                    "status": [
                        _("Choose one of: %(choices)s.") % {"choices": ", ".join(RowStatus.values)}
                    ]
                }
            )
        qs = qs.filter(status=query.status)
    page = paginate(qs, query.page, query.page_size)
    names = field_labels(job.entity)
    page["results"] = [
        {
            "row_no": row.row_no,
            "status": row.status,
            # The row's own message is its own key, not one of the errors.
            "errors": row_problems(row, names)[: len(row.errors or [])],
            "message": row.message,
            "values": row_cells(job, row),
            "object_id": row.object_id,
            "committed": row.committed,
        }
        for row in page["results"]
    ]
    return page


@router.put("/imports/{job_id}/mapping", response=ImportJobOut, summary="Confirm the columns")
def put_mapping(request, job_id: int, payload: ImportMappingIn):
    """Column index → field key for every column to import; 422 naming the column."""
    job = job_for(request.user, job_id)
    importer_for(request.user, job.entity)
    return mapping.save_mapping(job=job, actor=request.user, mapping=payload.mapping)


@router.post("/imports/{job_id}/check", response={202: ImportJobOut}, summary="Check (dry run)")
def check(request, job_id: int):
    """Start the dry run in the worker (the columns must be confirmed first)."""
    job = job_for(request.user, job_id)
    importer_for(request.user, job.entity)
    jobs.request_check(actor=request.user, job=job)
    job.refresh_from_db()
    return Status(202, job)


@router.post("/imports/{job_id}/commit", response={202: ImportJobOut}, summary="Import the rows")
def commit(request, job_id: int):
    """Write the good rows of a checked import (in the worker)."""
    job = job_for(request.user, job_id)
    importer_for(request.user, job.entity)
    jobs.request_commit(actor=request.user, job=job)
    job.refresh_from_db()
    return Status(202, job)
