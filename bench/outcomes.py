"""Outcome board and diagnosis benchmark (issue 21): the weekly snapshot of every outcome
metric for the organisation, each team and each rep, and a diagnosis run of the twelve
checks, at 200 reps, 200,000 leads, 2,000,000 activities and 200,000 deals (× ``--scale``
for all but the reps); then the board, its API and the diagnosis pages read from the
snapshots and the stored runs through the server ``salesops run`` starts.

    .venv/bin/python bench/outcomes.py --scale 0.01     # quick check
    .venv/bin/python bench/outcomes.py                  # the issue's sizes
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_outcomes .venv/bin/python bench/outcomes.py

**Data** (``bench/outcomes_data.py`` and ``bench/diagnosis_data.py``; built once per data
version and scale into ``var/bench/outcomes-v<N>-s<scale>.sqlite3``, reused after): the
board's leads, activities, deals, complaints, seen days and forecast snapshots, and what
every diagnosis check reads: the activity rollup, stage changes with and without
evidence, KPI schemes, a published target plan with its allocations and consensus
survey, settled quality tranches (some forfeited).

**Figures** (``bench/results/outcomes-<db>.json``): ``services.snapshot_week`` of the
last complete week — seconds (best and worst of ``--runs``), rows written, queries;
``diagnosis.services.run_now`` for the organisation and for a manager's team of 20 reps —
seconds (best and worst of ``--runs``), queries, and per check the seconds and queries of
its ``measure()`` on a fresh context, with the light it gave; p50/p95 over real HTTP for
the director and that manager of ``GET /outcomes/``, ``GET /api/v1/outcomes/board``,
``/diagnosis/``, ``/diagnosis/report/`` and each check's records page (with the query
count of one request in this process). Targets: snapshot < 30 s, every page p95 < 300 ms
(``pages_ok`` the board's, ``diagnosis_ok`` the diagnosis pages').
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
import outcomes_data  # noqa: E402

NAME = "outcomes"
VAR = common.ROOT / "var" / "bench"
MANAGER = "manager0"  # region 0: 20 reps
TARGET_SNAPSHOT_S = 30.0
TARGET_P95_MS = 300.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="data size × this (not the reps)")
    parser.add_argument("--runs", type=int, default=2, help="timed snapshots and diagnosis runs")
    parser.add_argument("--samples", type=int, default=40, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests per page")
    parser.add_argument(
        "--diagnosis-samples", type=int, default=20, help="timed requests per diagnosis page"
    )
    return parser.parse_args()


def database_url(scale: float) -> str:
    VAR.mkdir(parents=True, exist_ok=True)
    version = outcomes_data.DATA_VERSION
    return f"sqlite:///{VAR / f'outcomes-v{version}-s{scale:g}.sqlite3'}"


# --- measuring ------------------------------------------------------------------------------


def measure_snapshot(runs: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from salesops.outcomes import services

    week = services.last_complete_week()
    times = []
    with CaptureQueriesContext(connection) as captured:
        rows, ms = common.timed(services.snapshot_week, week)
    times.append(ms / 1000)
    for _ in range(runs - 1):
        rows, ms = common.timed(services.snapshot_week, week)
        times.append(ms / 1000)
    # Where the time goes: each metric's grouped queries on their own.
    from salesops.outcomes import metrics
    from salesops.outcomes.windows import week_start

    start = week_start(week)
    per_metric = {}
    for metric in metrics.METRICS:
        _parts, ms = common.timed(metric.parts, start, start + dt.timedelta(days=7), None)
        per_metric[metric.code] = round(ms / 1000, 2)
    # The board's trend needs weeks: the seven before, too (not timed).
    for back in range(1, 8):
        services.snapshot_week(week - dt.timedelta(weeks=back))
    return {
        "week": week.isoformat(),
        "seconds_best": round(min(times), 2),
        "seconds_worst": round(max(times), 2),
        "rows": rows,
        "queries": len(captured.captured_queries),
        "seconds_per_metric": per_metric,
    }


def diagnosis_scopes() -> dict:
    from salesops.diagnosis.scope import default_scope, org_scope
    from salesops.org.models import User

    return {"org": org_scope(), "team": default_scope(User.objects.get(username=MANAGER))}


def measure_diagnosis(runs: int) -> dict:
    """``run_now`` per scope (``runs`` times: the pages then have a run and the one before
    it), and each check's ``measure()`` on its own with a fresh context (no cache shared
    between checks, so each pays for what it reads)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from salesops.diagnosis import checks, services
    from salesops.diagnosis.models import DiagnosisPolicy

    policy = DiagnosisPolicy.current()
    limits = services.thresholds(policy)
    out = {}
    for label, scope in diagnosis_scopes().items():
        times, queries, run = [], None, None
        for _ in range(runs):
            with CaptureQueriesContext(connection) as captured:
                run, ms = common.timed(services.run_now, scope=scope)
            times.append(ms / 1000)
            queries = len(captured.captured_queries) if queries is None else queries
        if run.state != "done":
            sys.exit(f"the diagnosis run of {scope.key} failed: {run.error}")
        per_check = {}
        for check in checks.CHECKS:
            ctx = checks.Context.from_policy(policy, thresholds=limits)
            with CaptureQueriesContext(connection) as captured:
                _m, ms = common.timed(check.measure, scope, ctx)
            result = run.result(check.code) or {}
            per_check[check.code] = {
                "seconds": round(ms / 1000, 3),
                "queries": len(captured.captured_queries),
                "light": result.get("light"),
                "value": result.get("value"),
            }
        out[label] = {
            "scope": scope.key,
            "seconds_best": round(min(times), 2),
            "seconds_worst": round(max(times), 2),
            "queries": queries,
            "checks": per_check,
            "lights": sorted({c["light"] for c in per_check.values()}),
        }
        print(
            f"  diagnosis {label}: {out[label]['seconds_best']}–{out[label]['seconds_worst']} s, "
            f"{queries} queries; lights {out[label]['lights']}",
            flush=True,
        )
    return out


def diagnosis_pages() -> list[tuple[str, str]]:
    from django.urls import reverse

    from salesops.diagnosis import checks

    pages = [("index", reverse("diagnosis:index")), ("report", reverse("diagnosis:report"))]
    pages += [
        (f"records_{check.code}", reverse("diagnosis:records", args=[check.code]))
        for check in checks.CHECKS
    ]
    return pages


def main():
    args = parse_args()
    url = database_url(args.scale)
    os.environ["SALESOPS_VAR_DIR"] = str(VAR)
    url = common.setup_django(url)
    built = outcomes_data.ensure(args.scale)

    from django.db import connection

    from salesops.org.models import User
    from salesops.outcomes.models import OutcomePolicy
    from salesops.outcomes.services import last_complete_week

    if not OutcomePolicy.objects.exists():
        OutcomePolicy.objects.create(go_live_on=last_complete_week() - dt.timedelta(weeks=4))
    snapshot = measure_snapshot(args.runs)
    diagnosis = measure_diagnosis(args.runs)
    users = {"director": "director", "manager": MANAGER}
    diag_pages = diagnosis_pages()
    import pages  # the server, the login and the in-process query count of the pages bench

    in_process = {
        label: {
            page: pages.query_figures(User.objects.get(username=username), path, False)
            for page, path in diag_pages
        }
        for label, username in users.items()
    }
    connection.close()  # SQLite: the server reads now

    server = pages.Server(url)
    cases = {}
    try:
        for label, username in users.items():
            jar = pages.login(server, username)
            cases[label] = {
                "board": pages.measure(server, jar, "/outcomes/", args.samples, args.warmup),
                "api_board": pages.measure(
                    server, jar, "/api/v1/outcomes/board", args.samples, args.warmup
                ),
            }
            for page, path in diag_pages:
                figures = pages.measure(server, jar, path, args.diagnosis_samples, args.warmup)
                figures.update(in_process[label][page])
                figures.pop("slowest_query", None)
                cases[label][f"diagnosis_{page}"] = figures
                print(
                    f"  {label:8} {page:32} p95 {figures.get('p95_ms', figures['status'])} ms, "
                    f"{figures['queries']} queries",
                    flush=True,
                )
    finally:
        server.stop()

    def worst_of(prefix: str, *, exclude: bool = False):
        values = [
            page.get("p95_ms", float("inf"))
            for case in cases.values()
            for name, page in case.items()
            if name.startswith(prefix) != exclude
        ]
        return max(values)

    worst_board = worst_of("diagnosis_", exclude=True)
    worst_diag = worst_of("diagnosis_")
    slowest_run = max(d["seconds_worst"] for d in diagnosis.values())
    figures = {
        "scale": args.scale,
        "data_version": outcomes_data.DATA_VERSION,
        "build": built,
        "snapshot": snapshot,
        "diagnosis": diagnosis,
        "pages": cases,
        "targets": {
            "snapshot_s": TARGET_SNAPSHOT_S,
            "p95_ms": TARGET_P95_MS,
            "snapshot_ok": snapshot["seconds_worst"] < TARGET_SNAPSHOT_S,
            "pages_ok": worst_board < TARGET_P95_MS,
            "diagnosis_ok": worst_diag < TARGET_P95_MS,
        },
    }
    summary = (
        f"snapshot {snapshot['seconds_best']}–{snapshot['seconds_worst']} s "
        f"({snapshot['rows']} rows, {snapshot['queries']} queries; target < {TARGET_SNAPSHOT_S:g} s), "
        f"board/API p95 worst {worst_board} ms, diagnosis run org "
        f"{diagnosis['org']['seconds_best']} s ({diagnosis['org']['queries']} queries) / team "
        f"{diagnosis['team']['seconds_best']} s ({diagnosis['team']['queries']} queries), "
        f"slowest {slowest_run} s, diagnosis pages p95 worst {worst_diag} ms "
        f"(target < {TARGET_P95_MS:g} ms: {'ok' if worst_diag < TARGET_P95_MS else 'MISSED'})"
    )
    common.write_result(NAME, figures, summary=summary)


if __name__ == "__main__":
    main()
