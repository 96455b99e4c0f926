"""Import benchmark: 100,000 leads from an .xlsx through the import engine (dry run and
commit, with de-duplication and routing), and the lead list's export of 100,000 rows.

    .venv/bin/python bench/imports.py                 # SQLite file var/bench/imports.sqlite3
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_imports .venv/bin/python bench/imports.py
    .venv/bin/python bench/imports.py --rows 5000     # a quick run

Every run starts from a fresh database (the SQLite file deleted, the PostgreSQL database
dropped and created), migrates it and builds the intake benchmark's organisation
(``bench/intake.py``: 200 reps in 8 groups, 50 routing rules, ``--existing`` open leads and
as many accounts, all with distinct four-character brand names, so fuzzy de-duplication
meets real candidates but no look-alikes). Then it writes an .xlsx of ``--rows`` leads in
the lead template's columns: 85 % with province and city, 15 % with only an address (the
region is read from it), 3 % with the phone of an existing open lead (duplicates), 1 % a
repeat of an earlier row's phone under another company (duplicates within the file), 0.5 %
bad (an invalid phone or no company), 2 % with an owner column. It measures:

* ``calamine_rows_per_s``: python-calamine reading the sheet into Python lists, alone;
* ``read_rows_per_s``: ``exchange.files.read`` (calamine plus the checks: formulas, sizes);
* ``dry_run_rows_per_s`` and ``commit_rows_per_s``: ``exchange.engine.run`` on the job
  (``dry_run=True`` then ``False``), the worker's path: read, parse every cell, row keys,
  the importer's batched checks or writes, one report row per data row. The commit writes
  behind (``core.writebehind``): a forked child writes each chunk while the worker decides
  the next; ``rows_per_cpu_s`` is the deciding process's, ``writer_cpu_s`` the child's;
* ``export_xlsx`` / ``export_csv``: ``core.exports.export_response`` of every lead with the
  lead list's columns (the list page's export), in a child process so its peak resident
  memory (``ru_maxrss`` of that process) is the export's: rows/s and MB;
* each rate's ratio to calamine alone, and the report's counts (so a run that turned every
  row into an error does not pass for a fast one).

Targets: dry run and commit ≥ 2,000 rows/s, export ≥ 20,000 rows/s with a peak below
300 MB. Result: ``bench/results/imports-<db>.json``. ``--profile`` adds the top functions
of a cProfile of the commit (the engine's share and the importer's).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import resource
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

NAME = "imports"
VAR = common.ROOT / "var" / "bench"
SQLITE_FILE = VAR / "imports.sqlite3"
TARGET_ROWS_PER_S = 2_000.0
TARGET_EXPORT_ROWS_PER_S = 20_000.0
TARGET_EXPORT_MB = 300.0
IMPORT_PREFIX = "135"
EXPORT_ROWS = 100_000


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the file")
    parser.add_argument("--existing", type=int, default=20_000, help="open leads and accounts")
    parser.add_argument("--profile", action="store_true", help="cProfile the runs")
    parser.add_argument("--export-child", choices=["xlsx", "csv"], help=argparse.SUPPRESS)
    parser.add_argument(
        "--export-only",
        action="store_true",
        help="measure the exports again on the last run's database and update its result",
    )
    return parser.parse_args()


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{SQLITE_FILE}"


def fresh_database(url: str) -> None:
    if url.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def build(existing: int) -> dict:
    """The intake benchmark's organisation, with the name prefixes its bulk inserts
    leave out (de-duplication reads candidates by them)."""
    from django.db.models.functions import Substr
    from intake import build_org

    from salesops.customers.models import Account
    from salesops.leads.models import Lead

    setup = build_org(existing)
    setup.pop("channel_token", None)
    Lead.objects.update(company_prefix=Substr("company_key", 1, 2))
    Account.objects.update(name_prefix=Substr("name_key", 1, 2))
    return setup


def xlsx_file() -> Path:
    """The file of this database's run (two runs at once do not share one)."""
    name = os.environ.get("BENCH_DATABASE_URL", "sqlite").rsplit("/", 1)[-1]
    return VAR / f"imports-leads-{common.db_vendor()}-{name}.xlsx"


def write_file(rows: int, existing: int) -> dict:
    """The .xlsx of ``rows`` leads (see the module docstring for the mix)."""
    import xlsxwriter
    from intake import EXISTING_PREFIX, Data

    from salesops.exchange import registry

    importer = registry.get("lead")
    fields = {f.key: f for f in importer.fields()}
    keys = ["company", "contact_name", "phone", "email", "province", "city", "address"]
    keys += ["industry", "need", "owner"]
    headers = [fields[k].names()[0] for k in keys]
    data = Data(seed=3)
    rng = random.Random(5)
    mix = {"duplicate_existing": 0, "duplicate_in_file": 0, "bad": 0, "owner": 0}
    VAR.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(xlsx_file()), {"constant_memory": True})
    sheet = book.add_worksheet("线索")
    sheet.write_row(0, 0, headers)
    for n in range(rows):
        lead = data.lead(IMPORT_PREFIX, n)
        draw = rng.random()
        if draw < 0.03 and existing:
            lead["phone"] = f"{EXISTING_PREFIX}{rng.randrange(existing):08d}"
            mix["duplicate_existing"] += 1
        elif draw < 0.04 and n > 10:
            lead["phone"] = f"{IMPORT_PREFIX}{rng.randrange(n - 1):08d}"
            mix["duplicate_in_file"] += 1
        elif draw < 0.045:
            if rng.random() < 0.5:
                lead["phone"] = "12345"
            else:
                lead["company"] = ""
            mix["bad"] += 1
        if rng.random() < 0.02:
            lead["owner"] = f"rep{rng.randrange(1, 201):03d}"
            mix["owner"] += 1
        if rng.random() < 0.3:
            lead["email"] = f"c{n}@example.cn"
        sheet.write_row(n + 1, 0, [lead.get(k, "") for k in keys])
    book.close()
    return {**mix, "bytes": xlsx_file().stat().st_size}


def measure_read(data: bytes) -> dict:
    import python_calamine

    from salesops.exchange import files

    started = time.perf_counter()
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    raw = book.get_sheet_by_index(0).to_python()
    calamine_s = time.perf_counter() - started
    rows = len(raw) - 1
    started = time.perf_counter()
    table = files.read(data, xlsx_file().name, max_bytes=len(data) + 1, max_rows=rows + 1)
    read_s = time.perf_counter() - started
    assert len(table.rows) == rows
    return {
        "calamine_s": round(calamine_s, 2),
        "calamine_rows_per_s": round(rows / calamine_s),
        "read_s": round(read_s, 2),
        "read_rows_per_s": round(rows / read_s),
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_engine(job, dry_run: bool, profile: bool = False) -> tuple[dict, float, str, float, float]:
    """The counts, wall seconds, profile text, this process's CPU seconds and the
    write-behind child's (a large commit's writer, core.writebehind) of a run (on a shared
    machine rows per CPU second compare between runs; on SQLite the database works in
    these processes, on PostgreSQL its server's CPU is not counted)."""
    from salesops.exchange import engine

    profiler = cProfile.Profile() if profile else None
    cpu = time.process_time()
    children = _children_cpu()
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    counts = engine.run(job, dry_run=dry_run)
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    writer_cpu = _children_cpu() - children
    engine.finish(job, counts, dry_run=dry_run)
    text = ""
    if profiler:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(20)
        text = out.getvalue()
    return counts, seconds, text, cpu, writer_cpu


def export_child(fmt: str) -> None:
    """In a child process: export every lead as the director sees them; print JSON."""
    common.setup_django(database_url())
    from salesops.core.exports import export_response
    from salesops.leads.models import Lead
    from salesops.leads.views.leads import EXPORT_COLUMNS
    from salesops.org.models import User

    director = User.objects.get(username="director")
    baseline = _status_mb("VmRSS")  # Django started, nothing exported yet
    # The newest EXPORT_ROWS leads (the list filtered, as a user would, to what one export
    # may hold: exports refuse more than SALESOPS["EXPORT_MAX_ROWS"]).
    wanted = min(EXPORT_ROWS, Lead.objects.count())
    cutoff = Lead.objects.order_by("-pk").values_list("pk", flat=True)[wanted - 1]
    qs = (
        Lead.objects.visible_to(director)
        .filter(pk__gte=cutoff)
        .select_related("owner", "team", "channel")
    )
    started = time.perf_counter()
    response = export_response(qs, EXPORT_COLUMNS, fmt, "leads")
    size = 0
    for chunk in response.streaming_content:
        size += len(chunk)
    seconds = time.perf_counter() - started
    peak, before = _status_mb("VmHWM"), baseline
    print(
        json.dumps(
            {"rows": qs.count(), "seconds": seconds, "bytes": size, "peak": peak, "base": before}
        )
    )


def _status_mb(field: str) -> float:
    """A figure of /proc/self/status in MB: ``VmHWM`` is this program's peak resident
    memory since it started (``ru_maxrss`` of a child also counts the forked parent's
    pages before the exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def measure_export(fmt: str) -> dict:
    child = subprocess.Popen(  # noqa: S603 - this script, with our own arguments
        [sys.executable, __file__, "--export-child", fmt],
        stdout=subprocess.PIPE,
        env={**os.environ, "BENCH_DATABASE_URL": database_url()},
    )
    output = child.stdout.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        raise SystemExit(f"export child failed ({status})")
    result = json.loads(output.decode().strip().splitlines()[-1])
    return {
        "rows": result["rows"],
        "seconds": round(result["seconds"], 2),
        "rows_per_s": round(result["rows"] / result["seconds"]),
        "peak_rss_mb": result["peak"],
        "rss_before_export_mb": result["base"],
        # The whole child (Django's start included): a floor of the export's rate per CPU s.
        "child_cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "mb": round(result["bytes"] / 1_048_576, 1),
    }


def export_only() -> None:
    common.setup_django(database_url())
    from django.db import connection

    document = common.read_result(NAME)
    connection.close()
    exports = {fmt: measure_export(fmt) for fmt in ("xlsx", "csv")}
    figures = document["figures"]
    calamine = figures["read"]["calamine_rows_per_s"]
    for fmt, figure in exports.items():
        figures[f"export_{fmt}"] = figure
        figures["ratio_to_calamine"][f"export_{fmt}"] = round(figure["rows_per_s"] / calamine, 3)
    figures["targets"]["export_ok"] = all(
        e["rows_per_s"] >= TARGET_EXPORT_ROWS_PER_S and e["peak_rss_mb"] < TARGET_EXPORT_MB
        for e in exports.values()
    )
    x, c = exports["xlsx"], exports["csv"]
    common.write_result(
        NAME,
        figures,
        summary=f"export again: xlsx {x['rows_per_s']:,}/s {x['peak_rss_mb']} MB, "
        f"csv {c['rows_per_s']:,}/s {c['peak_rss_mb']} MB",
    )


def main():
    args = parse_args()
    if args.export_child:
        export_child(args.export_child)
        return
    if args.export_only:
        export_only()
        return
    VAR.mkdir(parents=True, exist_ok=True)
    os.environ["SALESOPS_VAR_DIR"] = str(VAR)
    url = database_url()
    fresh_database(url)
    common.setup_django(url)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from salesops.exchange import jobs
    from salesops.exchange.models import ImportJob
    from salesops.leads.models import Lead
    from salesops.org.models import User

    settings.MEDIA_ROOT = str(VAR / "media")
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    migrate_s = time.perf_counter() - started
    setup = build(args.existing)
    setup["migrate_seconds"] = round(migrate_s, 1)
    started = time.perf_counter()
    mix = write_file(args.rows, args.existing)
    mix["write_seconds"] = round(time.perf_counter() - started, 1)
    print(
        f"set-up: {setup['reps']} reps, {setup['routing_rules']} rules, "
        f"{setup['existing_open_leads']:,} open leads and accounts; file of {args.rows:,} rows "
        f"({mix['bytes'] / 1_048_576:.1f} MB, written in {mix['write_seconds']} s)",
        flush=True,
    )
    data = xlsx_file().read_bytes()
    read = measure_read(data)
    director = User.objects.get(username="director")
    leads_before = Lead.objects.count()
    job = jobs.start_job(actor=director, entity="lead", filename=xlsx_file().name, data=data)
    unmapped = [h for i, h in enumerate(job.headers) if str(i) not in job.mapping]
    assert not unmapped, f"headers not mapped: {unmapped}"
    dry_counts, dry_s, dry_profile, dry_cpu, _none = run_engine(
        job, dry_run=True, profile=args.profile
    )
    if dry_profile:
        print(dry_profile)
    print(
        f"dry run: {args.rows / dry_s:,.0f} rows/s, {args.rows / dry_cpu:,.0f} rows/CPU s "
        f"{dry_counts}",
        flush=True,
    )
    job = ImportJob.objects.get(pk=job.pk)
    commit_counts, commit_s, profile, commit_cpu, writer_cpu = run_engine(
        job, dry_run=False, profile=args.profile
    )
    print(
        f"commit: {args.rows / commit_s:,.0f} rows/s, {args.rows / commit_cpu:,.0f} rows/CPU s "
        f"of the deciding process (+ {writer_cpu:.1f} CPU s in the writer) {commit_counts}",
        flush=True,
    )
    created = Lead.objects.count() - leads_before
    assert created == commit_counts["create"], (created, commit_counts)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    connection.close()
    exports = {fmt: measure_export(fmt) for fmt in ("xlsx", "csv")}
    calamine = read["calamine_rows_per_s"]
    figures = {
        "config": {
            "rows": args.rows,
            "existing": args.existing,
        },
        "setup": setup,
        "file": mix,
        "read": read,
        "dry_run": {
            "seconds": round(dry_s, 1),
            "rows_per_s": round(args.rows / dry_s),
            "cpu_s": round(dry_cpu, 1),
            "rows_per_cpu_s": round(args.rows / dry_cpu),
            "counts": {k: v for k, v in dry_counts.items() if v},
        },
        "commit": {
            "seconds": round(commit_s, 1),
            "rows_per_s": round(args.rows / commit_s),
            "cpu_s": round(commit_cpu, 1),
            "rows_per_cpu_s": round(args.rows / commit_cpu),
            # The write-behind child's CPU (core.writebehind), beside the deciding
            # process's: the commit uses both cores.
            "writer_cpu_s": round(writer_cpu, 1),
            "counts": {k: v for k, v in commit_counts.items() if v},
            "leads_created": created,
        },
        "export_xlsx": exports["xlsx"],
        "export_csv": exports["csv"],
        "ratio_to_calamine": {
            "read": round(read["read_rows_per_s"] / calamine, 3),
            "dry_run": round(args.rows / dry_s / calamine, 3),
            "commit": round(args.rows / commit_s / calamine, 3),
            "export_xlsx": round(exports["xlsx"]["rows_per_s"] / calamine, 3),
            "export_csv": round(exports["csv"]["rows_per_s"] / calamine, 3),
        },
        "targets": {
            "dry_run_ok": args.rows / dry_s >= TARGET_ROWS_PER_S,
            "commit_ok": args.rows / commit_s >= TARGET_ROWS_PER_S,
            "export_ok": all(
                e["rows_per_s"] >= TARGET_EXPORT_ROWS_PER_S and e["peak_rss_mb"] < TARGET_EXPORT_MB
                for e in exports.values()
            ),
        },
    }
    if profile:
        figures["commit_profile"] = profile
        print(profile)
    x, c = exports["xlsx"], exports["csv"]
    summary = (
        f"{args.rows:,} rows: calamine {calamine:,}/s, dry run {args.rows / dry_s:,.0f}/s "
        f"({args.rows / dry_cpu:,.0f}/CPU s), commit {args.rows / commit_s:,.0f}/s "
        f"({args.rows / commit_cpu:,.0f}/CPU s); export xlsx {x['rows_per_s']:,}/s "
        f"{x['peak_rss_mb']} MB, csv {c['rows_per_s']:,}/s {c['peak_rss_mb']} MB"
    )
    common.write_result(NAME, figures, summary=summary)


if __name__ == "__main__":
    main()
