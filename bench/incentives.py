"""Incentives benchmark (issue 18): the month-end bonus run, a rep's statement with a
10,000,000-line payout ledger and the tranche sweep with nothing due, on 500 reps,
100,000 contracts, 300,000 payments and 20,000 complaints (all but the reps × ``--scale``).

    .venv/bin/python bench/incentives.py --scale 0.02   # SQLite var/bench/incentives-v<N>-s0.02.sqlite3
    .venv/bin/python bench/incentives.py                # the issue's sizes (build: long, once)
    .venv/bin/python bench/incentives.py --build-only
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_incentives .venv/bin/python bench/incentives.py

The data (built once per data version and scale, then reused; ``bench_incentives_meta``):
the targets benchmark's organisation, accounts (real company names), deals, contracts and
payments (``bench/targets_data.py``), the KPI benchmark's NPS answers and complaints
(``bench/kpi_data.py``: 20,000 complaints, a third major), customer-success activities with
durations on the reps' accounts, and a payout ledger of 10,000,000 lines over 36 months
written with ``executemany`` in chunks (the ledger's triggers refuse only UPDATE and
DELETE): per rep and month, deal bonuses as three tranches (50 / 30 / 20) each released or
forfeited by a later line, monthly and quarterly rewards, mentor rewards and adjustments;
≈ 300,000 tranches still open (indexed in ``OpenTranche``, due after today); the months
before the last three approved and locked. Each run installs the default plans
(``engine.defaults.install``) and times:

* ``run`` — ``monthend.run_month(<latest closed month>)``: ``--runs`` (1) timed runs.
  Target **< 30 s**.
* ``statement`` — ``statements.statement(rep, month)`` for ``--samples`` random reps and
  months: p50/p95 ms. Target **p95 < 200 ms**. ``statement_page`` — the rep's statement
  page through ``salesops run`` (bench/pages.py's server and login), p95 over
  ``--samples`` requests after ``--warmup``. Target **p95 < 200 ms**.
* ``sweep`` — ``tranches.sweep(today)`` with an empty queue and nothing due:
  ``--samples`` calls, p95. Target **< 200 ms**.

Result: ``bench/results/incentives-<db>.json`` and one summary line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
import incentives_data  # noqa: E402
import kpi_data  # noqa: E402
import targets_data  # noqa: E402
from targets import NotMeasured, service  # noqa: E402

NAME = "incentives"
VAR = common.ROOT / "var" / "bench"
DATA_VERSION = "1"
META_TABLE = "bench_incentives_meta"
FULL = {"ledger_lines": 10_000_000, "open_tranches": 300_000, "complaints": 20_000}
FULL_CS = {"cs_activities": 60_000, "nps": 20_000}
SEED = 20261218
TARGET_RUN_MS = 30_000.0
TARGET_STATEMENT_P95_MS = 200.0
TARGET_SWEEP_P95_MS = 200.0
PARTS = ("run", "run_fresh", "statement", "statement_page", "sweep")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="data size × this (reps stay 500)")
    parser.add_argument("--runs", type=int, default=1, help="timed month-end runs")
    parser.add_argument(
        "--samples", type=int, default=30, help="timed statements / requests / sweeps"
    )
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests first")
    parser.add_argument(
        "--settle", type=float, default=0, help="seconds to wait after the server starts"
    )
    parser.add_argument("--only", choices=("all", *PARTS), default="all")
    parser.add_argument("--build-only", action="store_true", help="build the data, measure nothing")
    return parser.parse_args()


def database_url(scale: float) -> str:
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    VAR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{VAR / f'incentives-v{DATA_VERSION}-s{scale:g}.sqlite3'}"


def sizes(scale: float) -> dict:
    out = targets_data.sizes(scale)
    out.update({k: max(1, round(v * scale)) for k, v in (FULL | FULL_CS).items()})
    return out


# --- the data ----------------------------------------------------------------------------
def ensure(scale: float) -> dict | None:
    from django.core.management import call_command

    from salesops.customers.models import Account

    call_command("migrate", verbosity=0, interactive=False)
    row = common.read_meta(META_TABLE)
    if row is not None and row[0] == DATA_VERSION and float(row[1]) == scale:
        return None
    if row is not None or Account.objects.exists():
        sys.exit(
            f"The bench database holds other data ({row or 'not built by this benchmark'}); "
            "delete it (or point BENCH_DATABASE_URL at an empty database) and run again."
        )
    return build(scale)


def build(scale: float) -> dict:
    from django.db import transaction
    from django.utils import timezone

    from salesops.core import clock
    from salesops.targets import rollup as measure_rollup

    want = sizes(scale)
    print(f"building the incentives bench data at scale {scale:g}: {want} (one time) …", flush=True)
    rng = random.Random(SEED)
    started = time.perf_counter()
    now = clock.now()
    today = timezone.localdate(now)
    steps, figures = {}, {}

    def step(label, since):
        steps[label] = round(time.perf_counter() - since, 1)
        print(f"  {label}: {steps[label]} s", flush=True)
        return time.perf_counter()

    with transaction.atomic():
        mark = time.perf_counter()
        reps, region_of = targets_data.build_org(now)
        active = [
            rep
            for n, rep in enumerate(reps)
            if n % targets_data.NEW_REP_EVERY != targets_data.NEW_REP_EVERY - 1
        ]
        books, figures["contacts"] = targets_data.build_accounts(
            rng, now, reps, active, region_of, want["accounts"]
        )
        mark = step("organisation and accounts", mark)
        won, figures["deals"], lines = targets_data.build_deals(
            rng, now, active, books, want["deals"]
        )
        figures.update(
            targets_data.build_revenue(
                rng, now, today, won, lines, want["contracts"], want["payments"]
            )
        )
        figures["measure_rollup_rows"] = measure_rollup.rebuild()
        mark = step("deals, contracts and payments", mark)
        figures.update(kpi_data.build_service(rng, now, books, want["nps"], want["complaints"]))
        figures.update(incentives_data.build_cs(rng, now, books, want["cs_activities"]))
        mark = step("NPS, complaints, customer-success activities", mark)
        figures.update(
            incentives_data.build_ledger(rng, today, want["ledger_lines"], want["open_tranches"])
        )
        mark = step("payout ledger", mark)
    _after_load()
    seconds = round(time.perf_counter() - started, 1)
    common.write_meta(META_TABLE, DATA_VERSION, scale, seconds)
    figures.update({"scale": scale, "seconds": seconds, "steps_seconds": steps})
    print(f"incentives bench data built in {seconds} s: {figures}", flush=True)
    return figures


def _after_load() -> None:
    from django.core.management.color import no_style
    from django.db import connection

    from salesops.incentives.models import LedgerLine, OpenTranche

    targets_data._after_load()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [LedgerLine, OpenTranche]):
                cursor.execute(sql)
            cursor.execute("VACUUM ANALYZE")


# --- the measurements --------------------------------------------------------------------
def latest_closed_month() -> dt.date:
    from salesops.core import clock

    return incentives_data.months_back(clock.today(), 1)


def month_run(runs: int) -> dict:
    run_month = service("salesops.incentives.monthend", "run_month")
    month = latest_closed_month()
    times, run = [], None
    for _ in range(max(1, runs)):
        began = time.perf_counter()
        run = run_month(month)
        times.append((time.perf_counter() - began) * 1000)
    return {
        "month": f"{month:%Y-%m}",
        "state": getattr(run, "state", None),
        "summary": getattr(run, "summary", None),
        "first_ms": round(times[0], 1),
        "max_ms": round(max(times), 1),
        "runs_ms": [round(t, 1) for t in times],
    }


def month_run_fresh() -> dict:
    """The month-end run meeting a month for the first time: the latest closed month's
    signed contracts copied into the current month (new numbers, the same owners, accounts,
    amounts and payment plans), the run timed, then everything rolled back so the cached
    data stays as built. (The closed months' contracts already have ledger lines in the
    built data, so rerunning one of them writes next to nothing: ``run`` above.)"""
    from collections import defaultdict

    from django.db import transaction

    from salesops.core import clock
    from salesops.incentives.models import LedgerLine
    from salesops.revenue.models import SIGNED_STATUSES, Contract, Instalment

    run_month = service("salesops.incentives.monthend", "run_month")
    today = clock.today()
    month, source = today.replace(day=1), latest_closed_month()
    with transaction.atomic():
        originals = list(
            Contract.objects.filter(
                signed_on__gte=source, signed_on__lt=month, status__in=SIGNED_STATUSES
            ).order_by("pk")
        )
        plans = defaultdict(list)
        for instalment in Instalment.objects.filter(contract__in=originals):
            plans[instalment.contract_id].append(instalment)
        pairs = []
        for contract in originals:
            old = contract.pk
            contract.pk = contract.id = None
            contract._state.adding = True
            contract.number = f"F{contract.number}"[:50]
            contract.external_id, contract.deal_id = "", None
            contract.signed_on = month.replace(day=min(contract.signed_on.day, today.day))
            pairs.append((old, contract))
        Contract.objects.bulk_create([c for _, c in pairs], batch_size=500)
        Instalment.objects.bulk_create(
            [
                Instalment(
                    contract=c,
                    sequence=i.sequence,
                    due_on=i.due_on,
                    percent=i.percent,
                    amount=i.amount,
                    note=i.note,
                )  # fmt: skip
                for old, c in pairs
                for i in plans[old]
            ],
            batch_size=1000,
        )
        began = time.perf_counter()
        run = run_month(month)
        elapsed = (time.perf_counter() - began) * 1000
        written = LedgerLine.objects.filter(run=run).count()
        transaction.set_rollback(True)
    return {
        "month": f"{month:%Y-%m}",
        "contracts": len(pairs),
        "lines_written": written,
        "summary": run.summary,
        "max_ms": round(elapsed, 1),
    }


def statements(samples: int) -> dict:
    from salesops.org.models import User

    statement = service("salesops.incentives.statements", "statement")
    reps = list(User.objects.filter(role="rep").order_by("pk"))
    today = latest_closed_month()
    rng = random.Random(18)
    statement(reps[0], today)  # untimed: the first call loads what every later one reuses
    times, lines = [], []
    for _ in range(samples):
        rep, month = rng.choice(reps), incentives_data.months_back(today, rng.randrange(0, 12))
        result, ms = common.timed(statement, rep, month)
        times.append(ms)
        lines.append(len(getattr(result, "lines", []) or []))
    return {
        "p50_ms": round(common.percentile(times, 50), 1),
        "p95_ms": round(common.percentile(times, 95), 1),
        "max_ms": round(max(times), 1),
        "lines_per_statement_median": sorted(lines)[len(lines) // 2],
    }


def statement_page(args, url: str) -> dict:
    import pages
    from django.db import connection
    from django.urls import NoReverseMatch, reverse

    from salesops.org.models import User

    rep = User.objects.filter(role="rep").order_by("pk").first()
    try:  # the rep's own statement (``statement`` redirects a rep's own to it)
        path = reverse("incentives:my_statement") + f"?month={latest_closed_month():%Y-%m}"
    except NoReverseMatch as exc:
        raise NotMeasured("incentives:my_statement is not routed yet") from exc
    figures = {"url": path, "user": rep.username}
    figures.update(pages.query_figures(rep, path, with_explain=False))
    if figures["status_in_process"] != 200:
        raise NotMeasured(f"{path} answers {figures['status_in_process']} in process")
    connection.close()  # SQLite: the server reads now
    server = pages.Server(url)
    try:
        jar = pages.login(server, rep.username)
        # The worker beside the server runs every sweep once as it starts (the nightly
        # ones too); ``--settle`` waits that out to measure the steady state.
        time.sleep(args.settle)
        figures.update(pages.measure(server, jar, path, args.samples, args.warmup))
    finally:
        server.stop()
    if "p95_ms" not in figures:
        raise NotMeasured(figures.get("note", "the page was not measured"))
    return figures


def sweep(samples: int) -> dict:
    from salesops.core import clock
    from salesops.incentives.models import IncentiveQueue, OpenTranche

    run_sweep = service("salesops.incentives.tranches", "sweep")
    IncentiveQueue.objects.all().delete()
    today = clock.today()
    due = OpenTranche.objects.filter(due_on__lte=today).count()
    times, result = [], None
    for _ in range(samples):
        result, ms = common.timed(run_sweep, today)
        times.append(ms)
    return {
        "open_tranches": OpenTranche.objects.count(),
        "due_before": due,
        "result": str(result)[:200],
        "p50_ms": round(common.percentile(times, 50), 1),
        "p95_ms": round(common.percentile(times, 95), 1),
        "max_ms": round(max(times), 1),
    }


def counts() -> dict:
    from salesops.aftersales.models import Complaint
    from salesops.incentives.models import LedgerLine, OpenTranche
    from salesops.org.models import User
    from salesops.revenue.models import Contract, Payment

    return {
        "reps": User.objects.filter(role="rep").count(),
        "contracts": Contract.objects.count(),
        "payments": Payment.objects.count(),
        "complaints": Complaint.objects.count(),
        "ledger_lines": LedgerLine.objects.count(),
        "open_tranches": OpenTranche.objects.count(),
    }


def verdicts(figures: dict) -> dict:
    checks = {
        "run": ("max_ms", TARGET_RUN_MS, f"month-end rerun<{TARGET_RUN_MS / 1000:g}s"),
        "run_fresh": ("max_ms", TARGET_RUN_MS, f"month-end run<{TARGET_RUN_MS / 1000:g}s"),
        "statement": ("p95_ms", TARGET_STATEMENT_P95_MS, "statement p95<200ms"),
        "statement_page": ("p95_ms", TARGET_STATEMENT_P95_MS, "statement page p95<200ms"),
        "sweep": ("p95_ms", TARGET_SWEEP_P95_MS, "empty sweep p95<200ms"),
    }
    out = {}
    for part, (key, limit, label) in checks.items():
        case = figures.get(part)
        if case is None:
            continue
        if key not in case:
            out[label] = f"NOT MEASURED ({case.get('note', 'not run')})"
        else:
            out[label] = f"{'ok' if case[key] < limit else 'MISS'} ({case[key]} ms)"
    return out


def main():
    args = parse_args()
    url = database_url(args.scale)
    os.environ["SALESOPS_VAR_DIR"] = str(VAR)
    common.setup_django(url)
    built = ensure(args.scale)
    if args.build_only:
        return
    figures = {"scale": args.scale, "data_version": DATA_VERSION, "counts": counts()}
    if built:
        figures["data_build"] = built
    wanted = [p for p in PARTS if args.only in ("all", p)]
    jobs = {
        "run": lambda: month_run(args.runs),
        "run_fresh": month_run_fresh,
        "statement": lambda: statements(args.samples),
        "statement_page": lambda: statement_page(args, url),
        "sweep": lambda: sweep(args.samples),
    }
    try:
        service("salesops.incentives.defaults", "install")()
    except NotMeasured as exc:
        figures["defaults"] = f"not installed: {exc}"
    for part in wanted:
        try:
            figures[part] = jobs[part]()
        except (NotMeasured, Exception) as exc:  # noqa: BLE001 - reported in the result
            figures[part] = {"note": f"not measured: {type(exc).__name__}: {exc}"}
        print(f"  {part}: {figures[part]}", flush=True)
    figures["targets"] = verdicts(figures)
    misses = [k for k, v in figures["targets"].items() if not v.startswith("ok")]
    c = figures["counts"]
    summary = (
        f"scale {args.scale:g} ({c['reps']} reps, {c['contracts']:,} contracts, "
        f"{c['ledger_lines']:,} ledger lines, {c['open_tranches']:,} open tranches): "
        + "; ".join(f"{k} {v}" for k, v in figures["targets"].items())
        + (f" — MISSED/NOT MEASURED: {', '.join(misses)}" if misses else " — all targets met")
    )
    common.write_result(NAME, figures, summary=summary)


if __name__ == "__main__":
    main()
