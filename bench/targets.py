"""Targets benchmark (issue 16): calibration and the three scenarios, the decomposition to
500 reps and the director's target-health dashboard over 50 teams, on 500 reps, 100,000
contracts, 300,000 payments and 200,000 deals (all but the reps × ``--scale``).

    .venv/bin/python bench/targets.py --scale 0.05     # SQLite file var/bench/targets-v<N>-s0.05.sqlite3
    .venv/bin/python bench/targets.py                  # the issue's sizes (build: minutes, once)
    .venv/bin/python bench/targets.py --build-only     # build (or check) the data only
    .venv/bin/python bench/targets.py --only health --samples 50
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_targets .venv/bin/python bench/targets.py

The first run at a scale builds the data (``bench/targets_data.py``) and later runs reuse
it. Each run then, as the ``director``, replaces the bench's plan of the current fiscal
year for the company team (measure: payments) — ``services.plan_create`` — and times:

* ``calibration`` — ``services.calibrate(plan=, actor=)`` then
  ``services.scenarios_compute(plan=, actor=)`` (the plan re-read between them), in this
  process: one untimed first run (its query count is reported), then ``--runs`` (5) timed
  runs: median and max ms. Target: **< 2 s**.
* ``decomposition`` — after ``services.baseline_confirm(plan=, scenario=<first scenario>,
  actor=)``, ``decomposition.decompose(plan=, actor=)`` for the 500 reps: a first run
  (queries), then ``--runs`` timed runs; the allocations of the version in force are checked
  to add up to the pool exactly. Target: **< 1 s**.
* ``health`` — after ``services.publish``: one timer sweep in this process (the automation
  backlog — deals whose stall time passed since the data was built — so that the
  server's worker does not fire it during the samples), then ``/targets/plans/<pk>/health/``
  through ``salesops run`` started as ``make run`` starts it (as ``bench/pages.py``:
  gunicorn, its processes, the worker, no DEBUG), the director logged in through the login
  form: ``--warmup`` (3) untimed requests, ``--samples`` (30) timed: p50/p95 ms (client wall
  time over HTTP on 127.0.0.1); the query count, database ms and slowest query of one
  request through Django's test client in this process. Target: **p95 < 300 ms**.

``--only`` times one part; the steps before it still run once (the plan must reach the
state the part needs). A service that is not there yet (the targets app is being written)
makes its part "not measured" with the missing name; a service that refuses (a
ValidationError, PermissionDenied) stops the parts after it with the message. Result:
``bench/results/targets-<db>.json`` and one summary line.
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
import targets_data  # noqa: E402

NAME = "targets"
VAR = common.ROOT / "var" / "bench"
PLAN_NAME = "基准测试目标 {year}"
TARGET_CALIBRATION_MS = 2000.0
TARGET_DECOMPOSITION_MS = 1000.0
TARGET_HEALTH_P95_MS = 300.0
PARTS = ("calibration", "decomposition", "health")


class NotMeasured(Exception):
    """A part cannot be measured (a missing function, a refusal); the message says why."""


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="data size × this (reps stay 500)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each service part")
    parser.add_argument("--samples", type=int, default=30, help="timed requests of the dashboard")
    parser.add_argument("--warmup", type=int, default=3, help="untimed dashboard requests first")
    parser.add_argument("--only", choices=("all", *PARTS), default="all")
    parser.add_argument(
        "--explain", action="store_true", help="add the plan of the dashboard's slowest query"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="add a cProfile of one more run of each service part (top functions by own time)",
    )
    parser.add_argument("--build-only", action="store_true", help="build the data, measure nothing")
    return parser.parse_args()


def database_url(scale: float) -> str:
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    VAR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{VAR / f'targets-v{targets_data.DATA_VERSION}-s{scale:g}.sqlite3'}"


# --- the services under test -------------------------------------------------------------------
def service(module: str, name: str):
    """``module.name``, or :class:`NotMeasured` saying what is missing."""
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        raise NotMeasured(f"{module} cannot be imported ({exc}); not merged yet?") from exc
    fn = getattr(mod, name, None)
    if not callable(fn):
        raise NotMeasured(f"{module}.{name} is missing; not merged yet?")
    return fn


def call(label: str, fn, **kwargs):
    """A service call; a refusal becomes :class:`NotMeasured` with its message."""
    from django.core.exceptions import PermissionDenied, ValidationError

    try:
        return fn(**kwargs)
    except ValidationError as exc:
        detail = getattr(exc, "message_dict", None) or exc.messages
        raise NotMeasured(f"{label} refused: {detail}") from exc
    except PermissionDenied as exc:
        raise NotMeasured(f"{label} refused (permission): {exc}") from exc
    except TypeError as exc:  # a signature other than the agreed one
        raise NotMeasured(f"{label} could not be called as agreed: {exc}") from exc


PROFILE = False  # --profile: one more run of each part under cProfile


def profile_top(fn, limit: int = 15) -> list[str]:
    """The functions of one run of ``fn`` that took the most time of their own."""
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(fn)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("tottime")
    stats.print_stats(limit)
    lines = [line.rstrip() for line in out.getvalue().splitlines()]
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls")), 0)
    return [line for line in lines[start:] if line.strip()]


def slowest_with_fetch(queries, limit: int = 3) -> list[dict]:
    """The captured SELECTs run again with every row fetched: the slowest ``limit``.
    (A captured query's time is its ``execute()`` only; SQLite computes the rows while
    they are fetched, so a slow aggregate shows up here, not there.)"""
    from django.db import connection

    timings = []
    with connection.cursor() as cursor:
        for query in queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            try:
                _, ms = common.timed(lambda sql=sql: (cursor.execute(sql), cursor.fetchall()))
            except Exception:  # noqa: BLE001, S112 - inlined parameters may not re-run
                continue
            timings.append({"ms": round(ms, 1), "sql": sql[:400]})
    return sorted(timings, key=lambda t: -t["ms"])[:limit]


def repeat(fn, runs: int) -> dict:
    """One first run (with its query count), then ``runs`` timed runs (and, with
    ``--profile``, one run under cProfile)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        _, first = common.timed(fn)
    queries = ctx.captured_queries
    times = [common.timed(fn)[1] for _ in range(runs)]
    slowest = max(queries, key=lambda q: float(q["time"]), default=None)
    figures = {
        "first_ms": round(first, 1),
        "queries": len(queries),
        "queries_ms": round(sum(float(q["time"]) for q in queries) * 1000, 1),
        "slowest_selects_with_fetch": slowest_with_fetch(queries),
    }
    if slowest is not None:
        figures["slowest_query"] = {
            "ms": round(float(slowest["time"]) * 1000, 1),
            "sql": slowest["sql"][:600],
        }
    if times:
        figures.update(
            runs_ms=[round(t, 1) for t in times],
            median_ms=round(statistics.median(times), 1),
            max_ms=round(max(times), 1),
        )
        if PROFILE:
            figures["profile_top_tottime"] = profile_top(fn)
    return figures


# --- the plan ----------------------------------------------------------------------------------
def current_fiscal_year() -> int:
    from salesops.core import clock
    from salesops.targets.models import TargetPolicy

    today = clock.today()
    start = TargetPolicy.current().fiscal_year_start_month
    return today.year if today.month >= start else today.year - 1


def fresh_plan(director, figures: dict):
    """The bench's plan of this fiscal year for the company team, created anew."""
    from django.db.models import ProtectedError

    from salesops.org.models import Team
    from salesops.targets.models import Measure, TargetPlan

    plan_create = service("salesops.targets.services", "plan_create")
    root = Team.objects.get(parent__isnull=True)
    year = current_fiscal_year()
    try:
        TargetPlan.objects.filter(fiscal_year=year, team=root, product_line="").delete()
    except ProtectedError as exc:
        sys.exit(f"the previous bench plan cannot be deleted ({exc}); rebuild the data")
    plan, ms = common.timed(
        call,
        "plan_create",
        plan_create,
        actor=director,
        name=PLAN_NAME.format(year=year),
        fiscal_year=year,
        team=root,
        product_line="",
        measure=Measure.PAYMENTS,
    )
    figures["plan"] = {
        "id": plan.pk,
        "fiscal_year": year,
        "team": root.name,
        "create_ms": round(ms, 1),
    }
    return plan


def calibrate_and_scenarios(plan, director, runs: int) -> dict:
    calibrate = service("salesops.targets.services", "calibrate")
    scenarios_compute = service("salesops.targets.services", "scenarios_compute")

    def work():
        plan.refresh_from_db()
        call("calibrate", calibrate, plan=plan, actor=director)
        plan.refresh_from_db()
        return call("scenarios_compute", scenarios_compute, plan=plan, actor=director)

    figures = repeat(work, runs)
    plan.refresh_from_db()
    calibration = plan.calibration
    figures["sources"] = {
        "historical": str(calibration.historical),
        "market": str(calibration.market),
        "manpower": str(calibration.manpower),
        "formula": calibration.formula,
        "pool": str(calibration.pool),
    }
    figures["scenarios"] = {
        s.code: {"result": str(s.result), "factors": s.factors} for s in plan.scenarios.all()
    }
    return figures


def decompose(plan, director, runs: int) -> dict:
    from salesops.targets import permissions
    from salesops.targets.models import Allocation

    baseline_confirm = service("salesops.targets.services", "baseline_confirm")
    decompose_fn = service("salesops.targets.decomposition", "decompose")
    plan.refresh_from_db()
    scenario = plan.scenarios.first()
    if scenario is None:
        raise NotMeasured("the plan has no scenario to confirm")
    call("baseline_confirm", baseline_confirm, plan=plan, scenario=scenario, actor=director)

    def work():
        plan.refresh_from_db()
        return call("decompose", decompose_fn, plan=plan, actor=director)

    figures = repeat(work, runs)
    plan.refresh_from_db()
    rows = Allocation.objects.filter(plan=plan, version=plan.version)
    # Summed here in Decimal: SQLite's SUM of a decimal column is a float.
    total = sum(rows.values_list("amount", flat=True), Decimal("0.00"))
    figures.update(
        baseline=scenario.code,
        pool=str(plan.pool),
        members=permissions.members(plan).count(),
        allocations=rows.count(),
        allocations_sum=str(total),
        sum_equals_pool=total == plan.pool,
        by_quadrant=_by_quadrant(rows),
    )
    return figures


def _by_quadrant(rows) -> dict:
    from django.db.models import Count

    return dict(rows.values_list("quadrant").annotate(n=Count("id")).values_list("quadrant", "n"))


def drain_timers() -> dict:
    """One automation timer sweep now, so the backlog is not fired by the server's worker
    while the dashboard is timed."""
    from salesops.automation import engine
    from salesops.core import clock

    try:
        totals, ms = common.timed(engine.run_timers, clock.now())
    except Exception as exc:  # noqa: BLE001 - a figure beside the point, never fatal
        return {"note": f"sweep failed: {exc}"}
    return {"ms": round(ms, 1), "fired": (totals or {}).get("fired", 0)}


def health(plan, director, args, url: str) -> dict:
    import pages  # the server and the login of the pages benchmark
    from django.db import connection
    from django.urls import NoReverseMatch, reverse

    publish = service("salesops.targets.services", "publish")
    plan.refresh_from_db()
    call("publish", publish, plan=plan, actor=director)
    try:
        path = reverse("targets:health", args=[plan.pk])
    except NoReverseMatch:
        path = f"/targets/plans/{plan.pk}/health/"
    figures = {"url": path}
    figures.update(pages.query_figures(director, path, with_explain=args.explain))
    if figures["status_in_process"] != 200:
        raise NotMeasured(
            f"{path} answers {figures['status_in_process']} in process (not installed yet?)"
        )
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(director)
    with CaptureQueriesContext(connection) as ctx:
        client.get(path)
    figures["slowest_selects_with_fetch"] = slowest_with_fetch(ctx.captured_queries)
    if PROFILE:
        figures["profile_top_tottime"] = profile_top(lambda: client.get(path))
    figures["sweep_before"] = drain_timers()
    connection.close()  # SQLite: the server reads now
    server = pages.Server(url)
    try:
        jar = pages.login(server, director.username)
        figures.update(pages.measure(server, jar, path, args.samples, args.warmup))
    finally:
        server.stop()
    if "p95_ms" not in figures:
        raise NotMeasured(figures.get("note", "the dashboard was not measured"))
    return figures


# --- the run -----------------------------------------------------------------------------------
def counts() -> dict:
    from django.db.models import Count

    from salesops.customers.models import Account, Contact
    from salesops.org.models import Team, User
    from salesops.pipeline.models import Deal
    from salesops.revenue.models import Contract, Payment

    deals = dict(
        Deal.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    return {
        "reps": User.objects.filter(role="rep").count(),
        "teams": Team.objects.count(),
        "accounts": Account.objects.count(),
        "contacts": Contact.objects.count(),
        "deals": sum(deals.values()),
        "deals_by_status": deals,
        "qualified_open_deals": Deal.objects.open().qualified().count(),
        "contracts": Contract.objects.count(),
        "payments": Payment.objects.count(),
    }


def check_targets(figures: dict) -> dict:
    def verdict(part, key, limit, label):
        case = figures.get(part) or {}
        if key not in case:
            reason = case.get("note", "not run").removeprefix("not measured: ")
            return f"NOT MEASURED ({reason})"
        extra = f", max {case['max_ms']} ms" if "max_ms" in case else ""
        return f"{'ok' if case[key] < limit else 'MISS'} ({label} {case[key]} ms{extra})"

    checks = {
        "calibration": (
            f"calibration+scenarios<{TARGET_CALIBRATION_MS:g}ms",
            "median_ms",
            TARGET_CALIBRATION_MS,
            "median",
        ),
        "decomposition": (
            f"decomposition<{TARGET_DECOMPOSITION_MS:g}ms",
            "median_ms",
            TARGET_DECOMPOSITION_MS,
            "median",
        ),
        "health": (f"health p95<{TARGET_HEALTH_P95_MS:g}ms", "p95_ms", TARGET_HEALTH_P95_MS, "p95"),
    }
    return {
        name: verdict(part, key, limit, label)
        for part, (name, key, limit, label) in checks.items()
        if part in figures  # parts not asked for (--only) are not judged
    }


def main():
    global PROFILE  # noqa: PLW0603 - a command-line switch
    args = parse_args()
    PROFILE = args.profile
    url = database_url(args.scale)
    os.environ["SALESOPS_VAR_DIR"] = str(VAR)
    common.setup_django(url)
    built = targets_data.ensure(args.scale)
    if args.build_only:
        return
    from salesops.org.models import User

    director = User.objects.get(username=targets_data.DIRECTOR)
    figures = {
        "scale": args.scale,
        "data_version": targets_data.DATA_VERSION,
        "counts": counts(),
        "data_build_seconds": built["seconds"] if built else targets_data.build_seconds(),
    }
    if built:
        figures["data_build"] = built
    else:
        figures["data_build_note"] = "from the run that built this database"
    steps = [
        ("calibration", lambda plan, n: calibrate_and_scenarios(plan, director, n)),
        ("decomposition", lambda plan, n: decompose(plan, director, n)),
        ("health", lambda plan, n: health(plan, director, args, url)),
    ]
    try:
        plan = fresh_plan(director, figures)
    except NotMeasured as exc:
        plan = None
        for part in PARTS:
            figures[part] = {"note": f"not measured: {exc}"}
    if plan is not None:
        blocked = None
        for part, run in steps:
            wanted = args.only in ("all", part)
            if blocked:
                figures[part] = {"note": f"not measured: {blocked}"}
                continue
            if not wanted and PARTS.index(part) > PARTS.index(args.only):
                break
            started = time.perf_counter()
            try:
                result = run(plan, args.runs if wanted else 0)
            except NotMeasured as exc:
                blocked = str(exc)
                figures[part] = {"note": f"not measured: {exc}"}
                print(f"  {part}: not measured — {exc}", flush=True)
                continue
            if wanted:
                figures[part] = result
                print(f"  {part}: {_shown(part, result)}", flush=True)
            else:
                print(f"  {part}: done once ({time.perf_counter() - started:.1f} s)", flush=True)
    figures["targets"] = check_targets(figures)
    misses = [k for k, v in figures["targets"].items() if not v.startswith("ok")]
    parts = [f"{part} {_shown(part, figures[part])}" for part in PARTS if part in figures]
    summary = (
        f"scale {args.scale:g} ({figures['counts']['payments']:,} payments, "
        f"{figures['counts']['deals']:,} deals, {figures['counts']['reps']} reps): "
        + "; ".join(parts)
        + (f" — MISSED/NOT MEASURED: {', '.join(misses)}" if misses else " — all targets met")
    )
    common.write_result(NAME, figures, summary=summary)


def _shown(part: str, case: dict) -> str:
    if "note" in case and "median_ms" not in case and "p95_ms" not in case:
        return case["note"]
    if part == "health":
        return f"p50 {case['p50_ms']} / p95 {case['p95_ms']} ms, {case.get('queries')} queries"
    return f"median {case['median_ms']} / max {case['max_ms']} ms, {case['queries']} queries"


if __name__ == "__main__":
    main()
