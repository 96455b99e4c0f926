"""The import pages (X5): the entities a user may import with their templates and an
upload form, the user's imports; one import's mapping, check, progress, report and
commit. The work is done by ``jobs`` and ``mapping`` (the worker runs the check and the
commit; the page polls the job's progress)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .. import jobs, mapping, registry, report, versions
from ..files import FileRefused
from ..forms import UploadForm, field_choices, mapping_rows, posted_mapping
from ..models import JobState, RowStatus
from .common import (
    RUNNING,
    entity_label,
    field_labels,
    good_count,
    importable,
    importer_for,
    job_for,
    row_cells,
    row_problems,
    status_counts,
    visible_jobs,
)

REPORT_PAGE_SIZE = 50


def _messages_of(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [str(m) for messages_ in exc.message_dict.values() for m in messages_]
    return [str(m) for m in exc.messages]


def _entities(user, errors: dict | None = None) -> list[dict]:
    rows = []
    for importer in importable(user):
        rows.append(
            {
                "entity": importer.entity,
                "label": importer.label,
                "version": getattr(versions.current(importer.entity), "version", None),
                "errors": (errors or {}).get(importer.entity, []),
            }
        )
    return rows


def _home(request, errors: dict | None = None, status: int = 200):
    user = request.user
    query = request.GET.get("q", "").strip()[:100]
    entity = request.GET.get("entity", "")[:40]
    qs = visible_jobs(user)
    if query:
        qs = qs.filter(filename__icontains=query)
    if entity:
        qs = qs.filter(entity=entity)
    paginator = Paginator(qs, settings.SALESOPS["PAGE_SIZE"])
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    context = {
        "entities": _entities(user, errors),
        "entity_options": [(i.entity, i.label) for i in registry.all_importers()],
        "page_obj": page,
        "rows": [{"job": job, "label": entity_label(job.entity)} for job in page.object_list],
        "query": query,
        "entity": entity,
        "accept": ".xlsx,.xls,.csv",
    }
    return render(request, "exchange/home.html", context, status=status)


@login_required
@require_GET
def home(request):
    return _home(request)


@login_required
@require_POST
def upload(request):
    """Read the file and create the job (nothing is stored for a refused file); the job
    page then shows the mapping."""
    form = UploadForm(request.POST, request.FILES)
    entity = request.POST.get("entity", "")[:40]
    importer_for(request.user, entity)
    if not form.is_valid():
        problems = [str(m) for errors in form.errors.values() for m in errors]
        return _home(request, {entity: problems}, status=422)
    upload_file = form.cleaned_data["file"]
    try:
        jobs.check_upload_size(upload_file.size, upload_file.name)
        job = jobs.start_job(
            actor=request.user,
            entity=entity,
            filename=upload_file.name,
            data=upload_file.read(),
        )
    except FileRefused as exc:
        return _home(request, {entity: [exc.reason]}, status=422)
    except ValidationError as exc:
        return _home(request, {entity: _messages_of(exc)}, status=422)
    return redirect("exchange:job", pk=job.pk)


def _job_context(request, job) -> dict:
    importer = registry.get(job.entity)
    status = request.GET.get("status", "")[:10]
    rows_qs = job.rows.order_by("row_no")
    if status in RowStatus.values:
        rows_qs = rows_qs.filter(status=status)
    paginator = Paginator(rows_qs, REPORT_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    labels = dict(RowStatus.choices)
    names = field_labels(job.entity)
    checked = job.state in (JobState.CHECKED, JobState.DONE) and bool(job.counts)
    return {
        "job": job,
        "label": entity_label(job.entity),
        "importer": importer,
        "mapping_rows": mapping_rows(job, importer) if importer else [],
        "field_choices": field_choices(importer) if importer else [],
        "running": job.state in RUNNING,
        "checked": checked,
        "editable": job.state in (JobState.UPLOADED, JobState.CHECKED, JobState.FAILED),
        "committable": job.state == JobState.CHECKED and good_count(job) > 0,
        "good": good_count(job),
        "counts": status_counts(job),
        "status": status if status in RowStatus.values else "",
        "page_obj": page,
        "report": [
            {
                "row": row,
                "label": labels.get(row.status, row.status),
                "problems": row_problems(row, names),
                "cells": row_cells(job, row),
            }
            for row in page.object_list
        ]
        if checked
        else [],
    }


@login_required
@require_GET
def job_detail(request, pk: int):
    job = job_for(request.user, pk)
    return render(request, "exchange/job.html", _job_context(request, job))


@login_required
@require_POST
def job_mapping(request, pk: int):
    """Save the columns' fields (confirming the suggestions); the service names a column
    mapped twice or a required field left out."""
    job = job_for(request.user, pk)
    importer_for(request.user, job.entity)
    chosen = posted_mapping(request.POST, job.headers)
    try:
        mapping.save_mapping(job=job, actor=request.user, mapping=chosen)
    except ValidationError as exc:
        # Show what the user chose (not the saved mapping) beside the message.
        job.mapping = chosen
        job.mapping_confirmed = True
        context = _job_context(request, job)
        context["mapping_errors"] = _messages_of(exc)
        return render(request, "exchange/job.html", context, status=422)
    messages.success(request, _("Column mapping saved. Check the file next."))
    return redirect("exchange:job", pk=job.pk)


def _request(request, pk: int, start, done_message: str):
    job = job_for(request.user, pk)
    importer_for(request.user, job.entity)
    try:
        start(actor=request.user, job=job)
    except ValidationError as exc:
        for message in _messages_of(exc):
            messages.error(request, message)
    else:
        messages.info(request, done_message)
    return redirect("exchange:job", pk=job.pk)


@login_required
@require_POST
def job_check(request, pk: int):
    """The dry run (in the worker): every row checked by the services, nothing written."""
    return _request(request, pk, jobs.request_check, _("Checking the file…"))


@login_required
@require_POST
def job_commit(request, pk: int):
    """Write the good rows of a checked file (in the worker)."""
    return _request(request, pk, jobs.request_commit, _("Importing the good rows…"))


@login_required
@require_GET
def job_progress(request, pk: int):
    """The progress bar the job page polls while the worker checks or commits; when the
    worker is done the page reloads to show the report."""
    job = job_for(request.user, pk)
    response = render(
        request, "exchange/_progress.html", {"job": job, "running": job.state in RUNNING}
    )
    if request.headers.get("HX-Request") and job.state not in RUNNING:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_GET
def job_report(request, pk: int) -> HttpResponse:
    """The report as Excel: the file's rows with a status and an error column."""
    job = job_for(request.user, pk)
    return report.report_response(job)
