"""Run an import job: parse every mapped cell by its field's kind, key the row, then check
it (dry run) or write it (commit) through the entity's importer, and keep a report row.

- A row whose cells do not parse, or that misses a required field, is an ``error`` naming
  the field; the importer never sees it.
- The row key (:func:`row_key`) makes a re-import idempotent: the identifying fields when
  the row fills them, else the whole row. A key imported before with the same content is
  ``unchanged`` and skipped; with other content the importer updates the record it wrote
  (``ctx.existing_id``). The same key twice in one file: the second is a ``duplicate``.
- The commit writes rows in batches, one transaction per batch and a savepoint per row:
  a bad row rolls back alone, the good rows stay. Every history row written names the
  import as its source (``core.history.source``).
- A large commit (more than :data:`WRITE_BEHIND_ROWS` rows) of an importer that can
  (``Importer.write_behind``: the leads') writes behind (``core.writebehind``): a child
  process writes a chunk's rows, report and progress in one transaction while this one
  decides the next chunk. A chunk with rows to update (a file imported before, changed)
  waits for the child and is written here, as without it.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _

from salesops.core import clock, configcache, history, rowinserts, writebehind

from . import files, values
from .models import ExchangePolicy, ImportJob, ImportKey, ImportRow, JobState, RowStatus
from .registry import Context, Field, Importer, Outcome

Progress = Callable[[int, int], None]
# The report rows' fields, in the order _run_chunk gives their values.
REPORT_FIELDS = [
    "job",
    "row_no",
    "key",
    "status",
    "errors",
    "message",
    "values",
    "object_id",
    "committed",
]
STATUS = REPORT_FIELDS.index("status")
# Rows read, checked and reported together (the lead importer writes them in one batch).
CHUNK = 5000
# A commit of more rows than this writes behind (its chunks written by a child process).
WRITE_BEHIND_ROWS = CHUNK


def field_map(importer: Importer) -> dict[str, Field]:
    return {f.key: f for f in importer.fields()}


def upload_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def read_job_table(job: ImportJob) -> files.Table:
    policy = ExchangePolicy.current()
    data = Path(job.path).read_bytes()
    return files.read(
        data,
        job.filename,
        max_bytes=policy.max_file_mb * 1_048_576,
        max_rows=policy.max_rows,
    )


def row_key(entity: str, fields: dict[str, Field], parsed: dict) -> str:
    return _keys(entity, fields, parsed)[0]


def content_hash(parsed: dict) -> str:
    return _digest("", _json(parsed))


def _keys(entity: str, fields: dict[str, Field], parsed: dict) -> tuple[str, str]:
    """The row key and the content hash of a parsed row (its JSON written once)."""
    text = _json(parsed)
    ident = {k: parsed[k] for k, f in fields.items() if f.identifies and parsed.get(k) is not None}
    key = _digest(entity, _json(ident)) if ident else _digest(entity, text)
    return key, _digest("", text)


def _json(data: dict) -> str:
    return json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)


def _digest(prefix: str, text: str) -> str:
    return hashlib.sha256(f"{prefix}|{text}".encode()).hexdigest()


def parse_row(fields: dict[str, Field], mapping: dict[int, str], headers, cells):
    """(parsed values by field key, [(field key, message)])."""
    parsed: dict = {}
    errors: list[tuple[str, str]] = []
    for index, key in mapping.items():
        field = fields.get(key)
        if field is None:
            continue
        raw = cells[index] if index < len(cells) else None
        try:
            parsed[key] = values.parse(field, raw)
        except ValueError as exc:
            errors.append((key, str(exc)))
    for key, field in fields.items():
        if field.required and parsed.get(key) is None and not any(k == key for k, _m in errors):
            errors.append((key, _("This column is required; fill it in.")))
    return parsed, errors


def _cell_text(value) -> str:
    return files._text(value)


def run(job: ImportJob, *, dry_run: bool, progress: Progress | None = None) -> dict:
    """Check (``dry_run``) or commit every row of ``job``; returns the counts by status
    and stores them, with one :class:`ImportRow` per data row, on the job."""
    from . import registry

    importer = registry.get(job.entity)
    fields = field_map(importer)
    mapping = {int(i): k for i, k in job.mapping.items() if k}
    table = read_job_table(job)
    total = len(table.rows)
    counts = {s.value: 0 for s in RowStatus}
    ImportRow.objects.filter(job=job).delete()
    seen: dict[str, int] = {}
    ctx_cache: dict = {}
    labels = {k: f.names()[0] for k, f in fields.items()}
    behind_ok = not dry_run and importer.write_behind and total > WRITE_BEHIND_ROWS
    behind_block = (
        writebehind.write_behind(reserve=total) if behind_ok else contextlib.nullcontext()
    )
    with history.source(job.source), behind_block as behind, _long_lived_frozen() as keep:
        for start in range(0, total, CHUNK):
            keep()
            chunk = table.rows[start : start + CHUNK]
            done = start + len(chunk)
            args = (job, importer, fields, mapping, table.headers, chunk, seen, ctx_cache)
            with configcache.steady():
                work = _prepare(*args, dry_run)
                # A chunk that updates earlier imports' records is written here.
                writer = behind if behind is not None and not work.updates else None
                # One transaction (one commit) for the chunk's writes, its report and the
                # progress: the importer's batches nest in it (or the child's, behind).
                with _chunk_block(behind, writer):
                    report = _run_chunk(job, importer, work, dry_run, labels, writer)
                    for row in report:
                        counts[row[STATUS]] += 1
                    percent = min(99, done * 100 // max(total, 1))
                    _write(writer, rowinserts.insert_plain, ImportRow, REPORT_FIELDS, report)
                    _write(writer, _progress, job.pk, percent, dict(counts))
            if writer is not None:
                writer.send()
            if progress:
                progress(done, total)
    return counts


@contextlib.contextmanager
def _long_lived_frozen():
    """Keep what the run holds from chunk to chunk (the file's rows, the run's leads for
    de-duplication, caches) out of the garbage collector's full passes, which walk every
    object they track: at 100,000 rows those passes grew with the run. ``gc.freeze()``
    at each chunk's start; unfrozen at the end, so all of it is collected as usual."""
    try:
        yield gc.freeze
    finally:
        gc.unfreeze()


@contextlib.contextmanager
def _chunk_block(behind, writer):
    """The chunk's transaction: none here when the child writes it (``writer``); with a
    write-behind that this chunk does not use, after the child has written the rest."""
    if writer is not None:
        yield
        return
    with behind.paused() if behind is not None else contextlib.nullcontext():
        with transaction.atomic():
            yield


def _write(writer, function, *args) -> None:
    """``function(*args)`` now, or in the write-behind's child (``writer``)."""
    if writer is not None:
        writer.call(function, *args)
    else:
        function(*args)


def _progress(job_id: int, percent: int, counts: dict) -> None:
    ImportJob.objects.filter(pk=job_id).update(progress=percent, counts=counts)


class _Work:
    """A chunk parsed and triaged: the rows, the outcomes the engine decided alone and the
    rows the importer must check or write (``pending`` positions, ``items``)."""

    def __init__(self, prepared, hashes, known, outcomes, pending, items):
        self.prepared, self.hashes, self.known = prepared, hashes, known
        self.outcomes, self.pending, self.items = outcomes, pending, items
        self.updates = any(ctx.existing_id for _values, ctx in items)


def _prepare(job, importer, fields, mapping, headers, chunk, seen, cache, dry_run) -> _Work:
    prepared = []
    hashes: dict[str, str] = {}  # row key → content hash
    for row_no, cells in chunk:
        parsed, errors = parse_row(fields, mapping, headers, cells)
        key = ""
        if not errors:
            key, digest = _keys(job.entity, fields, parsed)
            hashes.setdefault(key, digest)  # a repeated key is a duplicate: never hashed
        prepared.append((row_no, cells, parsed, errors, key))
    keys = [p[4] for p in prepared if p[4]]
    known = {k.key: k for k in ImportKey.objects.filter(entity=job.entity, key__in=keys)}
    outcomes: list[Outcome | None] = []
    pending: list[int] = []
    items = []
    for index, (row_no, _cells, parsed, errors, key) in enumerate(prepared):
        outcome, ctx = _triage(job, hashes, errors, key, known, seen, row_no, cache, dry_run)
        outcomes.append(outcome)
        if outcome is None:
            pending.append(index)
            items.append((parsed, ctx))
    return _Work(prepared, hashes, known, outcomes, pending, items)


def _run_chunk(job, importer, work: _Work, dry_run, labels, writer=None):
    prepared, outcomes, pending, items = work.prepared, work.outcomes, work.pending, work.items
    size = importer.batch_size if not dry_run else max(len(items), 1)
    for start in range(0, len(items), size):
        batch = items[start : start + size]
        with transaction.atomic() if writer is None else contextlib.nullcontext():
            done = importer.check_many(batch) if dry_run else importer.write_many(batch)
            if not dry_run:
                rows = [prepared[i] for i in pending[start : start + size]]
                _remember_keys(job, rows, done, work.known, work.hashes, writer)
        for index, outcome in zip(pending[start : start + size], done, strict=True):
            if dry_run and outcome.status in ("create", "update"):
                outcome.object_id = None
            outcomes[index] = outcome
    report = []
    for (row_no, cells, _parsed, _errors, key), outcome in zip(prepared, outcomes, strict=True):
        errors = [{"field": f, "label": labels.get(f, f), "message": m} for f, m in outcome.errors]
        report.append(
            (
                job.pk,
                row_no,
                key,
                outcome.status,
                json.dumps(errors),
                outcome.message[:500],
                json.dumps([_cell_text(c) for c in cells]),
                outcome.object_id,
                not dry_run and outcome.status in ("create", "update"),
            )
        )
    return report


def _triage(job, hashes, errors, key, known, seen, row_no, cache, dry_run):
    """(the row's outcome, None) when the engine decides it alone; (None, context) when
    the importer must check or write it."""
    if errors:
        return Outcome("error", errors=errors), None
    if key in seen:
        message = _("Same record as row %(row)d of this file.") % {"row": seen[key]}
        return Outcome("duplicate", message=message), None
    seen[key] = row_no
    earlier = known.get(key)
    if earlier is not None and earlier.content_hash == hashes[key]:
        message = _("Imported before with the same values; skipped.")
        return Outcome("unchanged", object_id=earlier.object_id, message=message), None
    ctx = Context(
        actor=job.created_by,
        dry_run=dry_run,
        job=job,
        existing_id=earlier.object_id if earlier else None,
        cache=cache,
    )
    return None, ctx


def _remember_keys(job, rows, outcomes, known, hashes, writer=None) -> None:
    """Record each written row's key and content, so the same row again is skipped: one
    insert for the new keys and one update for the keys written before (a file's rows
    have distinct keys: a repeated key is a duplicate and never written)."""
    now = clock.now()
    stamp = connection.ops.adapt_datetimefield_value(now)
    new, changed = [], []
    for (_row_no, _cells, _parsed, _errors, key), outcome in zip(rows, outcomes, strict=True):
        if outcome.status not in ("create", "update") or not outcome.object_id:
            continue
        digest = hashes[key]
        earlier = known.get(key)
        if earlier is None:
            new.append((job.entity, key, outcome.object_id, digest, job.pk, stamp))
        else:
            earlier.object_id, earlier.content_hash = outcome.object_id, digest
            earlier.job, earlier.updated_at = job, now
            changed.append(earlier)
    names = ["entity", "key", "object_id", "content_hash", "job", "updated_at"]
    _write(writer, rowinserts.insert_plain, ImportKey, names, new)
    if changed:
        _write(writer, _update_keys, changed)


def _update_keys(changed: list[ImportKey]) -> None:
    ImportKey.objects.bulk_update(
        changed, ["object_id", "content_hash", "job", "updated_at"], batch_size=1000
    )


def finish(job: ImportJob, counts: dict, *, dry_run: bool) -> None:
    job.counts = counts
    job.progress = 100
    now = clock.now()
    if dry_run:
        job.state = JobState.CHECKED
        job.checked_at = now
    else:
        job.state = JobState.DONE
        job.committed_at = now
    job.save(update_fields=["counts", "progress", "state", "checked_at", "committed_at"])
