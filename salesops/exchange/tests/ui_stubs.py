"""Stand-ins for the parts of the import engine other engineers are writing in parallel
(``mapping``, ``jobs.request_check/request_commit/policy_save``, ``report``,
``template_book``, ``versions``), installed only where the real one is missing, so the
page and API tests run before those land and use the real code once it has.

The stand-ins do what the briefs promise, in the simplest way: the check and the commit
run inline (as Huey does under tests)."""

from __future__ import annotations

import importlib
import io
import sys
import types

from django.core.exceptions import ValidationError
from django.http import FileResponse


def _missing(name: str) -> bool:
    try:
        importlib.import_module(f"salesops.exchange.{name}")
    except ModuleNotFoundError:
        return True
    return False


def _module(name: str, **attrs) -> None:
    module = types.ModuleType(f"salesops.exchange.{name}")
    module.__dict__.update(attrs)
    sys.modules[module.__name__] = module
    import salesops.exchange as package

    setattr(package, name, module)


def _save_mapping(*, job, actor, mapping):
    used: dict[str, str] = {}
    for index, key in mapping.items():
        if key in used:
            raise ValidationError(
                {"mapping": [f"Column {int(index) + 1} and column {int(used[key]) + 1}: {key}"]}
            )
        used[key] = index
    job.mapping = dict(mapping)
    job.mapping_confirmed = True
    job.save(update_fields=["mapping", "mapping_confirmed"])
    return job


def _run(job, *, dry_run: bool):
    from salesops.exchange import engine

    counts = engine.run(job, dry_run=dry_run)
    engine.finish(job, counts, dry_run=dry_run)
    job.refresh_from_db()
    return job


def _request_check(*, actor, job):
    if not job.mapping_confirmed:
        raise ValidationError({"mapping": ["Confirm the columns first."]})
    return _run(job, dry_run=True)


def _request_commit(*, actor, job):
    if job.state != "checked":
        raise ValidationError({"state": ["Check the file first."]})
    return _run(job, dry_run=False)


def _policy_save(*, actor, **data):
    from salesops.exchange.models import ExchangePolicy

    policy = ExchangePolicy.current()
    for name, value in data.items():
        setattr(policy, name, value)
    policy.save()
    return policy


def _xlsx_response(rows, filename):
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=filename)


def _report_response(job):
    rows = [[*job.headers, "Status", "Errors"]]
    for row in job.rows.order_by("row_no"):
        errors = "; ".join(f"{e['label']}: {e['message']}" for e in row.errors)
        rows.append([*row.values, row.status, errors or row.message])
    return _xlsx_response(rows, f"import-{job.pk}-report.xlsx")


def _template_response(importer, *, user, with_data):
    headers = [f.names()[0] for f in importer.fields()]
    rows = [headers]
    if with_data:
        keys = [f.key for f in importer.fields()]
        rows += [[str(r.get(k) or "") for k in keys] for r in importer.export_rows(user)]
    return _xlsx_response(rows, f"{importer.entity}-template-v1.xlsx")


def _current(entity):
    return types.SimpleNamespace(entity=entity, version=1)


def install() -> None:
    from salesops.exchange import jobs

    if _missing("mapping"):
        _module("mapping", save_mapping=_save_mapping)
    for name, fn in (
        ("request_check", _request_check),
        ("request_commit", _request_commit),
        ("policy_save", _policy_save),
    ):
        if not hasattr(jobs, name):
            setattr(jobs, name, fn)
    if _missing("report"):
        _module("report", report_response=_report_response)
    if _missing("template_book"):
        _module("template_book", template_response=_template_response)
    if _missing("versions"):
        _module("versions", current=_current)
