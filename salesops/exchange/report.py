"""The report of an import job as an .xlsx (X5): a summary sheet with the counts, then
the file as it was read — its headers and each data row's cells, in file order — with
the row's status (“导入状态”), its errors (“导入错误”: “<column>: <message>; …”) and its
row number in the uploaded file. Error rows are red, duplicates yellow, so people fix the file in the
report itself and upload it again (the extra columns are not mapped to any field).

Written with xlsxwriter in ``constant_memory`` mode to a temporary file, reading the
rows with ``.iterator()``: 200,000 rows stay flat in memory. Every cell is written with
``write_string`` — the cells were text as read, and a value beginning with “=” must not
become a formula in the report.
"""

from __future__ import annotations

import tempfile

from django.db.models import Count
from django.http import FileResponse
from django.utils import timezone, translation
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from . import registry
from .models import ImportJob, ImportRow, JobState, RowStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERROR_FILL = "#FDE2E1"
DUPLICATE_FILL = "#FEF3C7"


def report_filename(job: ImportJob) -> str:
    return f"{job.entity}-import-{job.pk}-report.xlsx"


def report_workbook(job: ImportJob) -> bytes:
    """The report of ``job`` as .xlsx bytes."""
    with tempfile.TemporaryFile(suffix=".xlsx") as handle:
        _write(handle, job)
        handle.seek(0)
        return handle.read()


def report_response(job: ImportJob) -> FileResponse:
    """The download of :func:`report_workbook`, streamed from a temporary file."""
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by FileResponse
    _write(handle, job)
    handle.seek(0)
    return FileResponse(
        handle, as_attachment=True, filename=report_filename(job), content_type=XLSX
    )


def error_text(row: ImportRow, labels: dict[str, str]) -> str:
    """“<column>: <message>; …” and the row's own message, in the active language where
    the field is known."""
    parts = []
    for error in row.errors or []:
        key = error.get("field") or ""
        label = labels.get(key) or error.get("label") or key
        message = error.get("message", "")
        parts.append(f"{label}: {message}" if label else message)
    if row.message:
        parts.append(row.message)
    return "; ".join(parts)


def _field_labels(entity: str) -> dict[str, str]:
    """Field key → its name in the active language."""
    importer = registry.get(entity)
    if importer is None:
        return {}
    chinese = (translation.get_language() or "").lower().startswith("zh")
    return {f.key: f.names()[0 if chinese else 1] for f in importer.fields()}


def _write(target, job: ImportJob) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(target, {"constant_memory": True})
    bold = book.add_format({"bold": True})
    header = book.add_format({"bold": True, "bg_color": "#EEF2F7", "border": 1})
    fills = {
        RowStatus.ERROR: book.add_format({"bg_color": ERROR_FILL}),
        RowStatus.DUPLICATE: book.add_format({"bg_color": DUPLICATE_FILL}),
    }
    summary = book.add_worksheet(pgettext("import report", "Summary"))
    summary_name = pgettext("import report", "Summary")
    rows_name = _sheet_name(job.sheet or pgettext("import report", "Details"))
    rows_sheet = book.add_worksheet(
        rows_name if rows_name != summary_name else pgettext("import report", "Details")
    )
    _summary(summary, job, bold)

    headers = [str(h) for h in job.headers or []]
    width = len(headers)
    # Not plain “状态”: a fixed report uploaded again must not map this column to a
    # record's own status field.
    extra = [_("Import status"), _("Import errors"), _("Row in file")]
    for col, name in enumerate([*headers, *extra]):
        size = 60 if col == width + 1 else max(10, min(40, _width(name) + 4))
        rows_sheet.set_column(col, col, size)
        rows_sheet.write_string(0, col, name, header)
    rows_sheet.freeze_panes(1, 0)
    labels = _field_labels(job.entity)
    status_labels = {s.value: str(s.label) for s in RowStatus}
    rows = ImportRow.objects.filter(job=job).order_by("row_no")
    for out_row, row in enumerate(rows.iterator(chunk_size=2000), start=1):
        fill = fills.get(row.status)
        cells = _cells(row.values, width)
        for col, value in enumerate(cells):
            if value:
                rows_sheet.write_string(out_row, col, value, fill)
            elif fill is not None:
                rows_sheet.write_blank(out_row, col, None, fill)
        rows_sheet.write_string(out_row, width, status_labels.get(row.status, row.status), fill)
        errors = error_text(row, labels)
        if errors:
            rows_sheet.write_string(out_row, width + 1, errors, fill)
        elif fill is not None:
            rows_sheet.write_blank(out_row, width + 1, None, fill)
        rows_sheet.write_number(out_row, width + 2, row.row_no, fill)
    if width + len(extra) and rows.exists():
        rows_sheet.autofilter(0, 0, 0, width + len(extra) - 1)
    book.close()


def _cells(values, width: int) -> list[str]:
    """The row's cells as read (a list; an older job stored them by column index)."""
    if isinstance(values, dict):
        values = [values.get(str(i), "") for i in range(width)]
    cells = ["" if v is None else str(v) for v in (values or [])][:width]
    return cells + [""] * (width - len(cells))


def _summary(sheet, job: ImportJob, bold) -> None:
    importer = registry.get(job.entity)
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 1, 60)
    when = job.committed_at or job.checked_at or job.created_at
    facts = [
        (pgettext("import report", "File"), job.filename),
        (_("Records"), force_str(importer.label) if importer else job.entity),
        (_("State"), str(JobState(job.state).label) if job.state in JobState.values else ""),
        (
            pgettext("import report", "Uploaded by"),
            str(job.created_by) if job.created_by_id else "",
        ),
        (_("Checked or imported at"), timezone.localtime(when).strftime("%Y-%m-%d %H:%M")),
    ]
    row = 0
    for label, value in facts:
        sheet.write_string(row, 0, label, bold)
        sheet.write_string(row, 1, value or "")
        row += 1
    row += 1
    sheet.write_string(row, 0, _("Status"), bold)
    sheet.write_string(row, 1, pgettext("import report", "Rows"), bold)
    row += 1
    counts = _counts(job)
    for status in RowStatus:
        sheet.write_string(row, 0, str(status.label))
        sheet.write_number(row, 1, counts.get(status.value, 0))
        row += 1
    sheet.write_string(row, 0, _("Total"), bold)
    sheet.write_number(row, 1, sum(counts.values()), bold)
    row += 2
    for notice in job.notices or []:
        sheet.write_string(row, 0, pgettext("import report", "Notice"), bold)
        sheet.write_string(row, 1, str(notice))
        row += 1


def _counts(job: ImportJob) -> dict[str, int]:
    """From the rows themselves (the job's stored counts are those of its last run, which
    the rows are too)."""
    found = ImportRow.objects.filter(job=job).values("status").annotate(n=Count("pk"))
    return {item["status"]: item["n"] for item in found}


def _sheet_name(text: str) -> str:
    for bad in "[]:*?/\\":
        text = text.replace(bad, " ")
    return text.strip()[:31] or "Sheet1"


def _width(text: str) -> float:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
