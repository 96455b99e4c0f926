"""Build spreadsheet files and run imports in tests."""

from __future__ import annotations

import csv
import io

from salesops.exchange import engine, jobs


def xlsx_bytes(headers: list[str], rows: list[list]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(headers: list[str], rows: list[list], encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def run_import(
    actor,
    entity: str,
    headers: list[str],
    rows: list[list],
    *,
    commit: bool = True,
    filename: str = "data.xlsx",
    data: bytes | None = None,
):
    """Upload, dry-run and (``commit``) commit ``rows`` as ``actor``; returns the job with
    its rows (``job.rows.order_by("row_no")``)."""
    if data is None:
        data = csv_bytes(headers, rows) if filename.endswith(".csv") else xlsx_bytes(headers, rows)
    job = jobs.start_job(actor=actor, entity=entity, filename=filename, data=data)
    counts = engine.run(job, dry_run=True)
    engine.finish(job, counts, dry_run=True)
    if commit:
        counts = engine.run(job, dry_run=False)
        engine.finish(job, counts, dry_run=False)
    job.refresh_from_db()
    return job
