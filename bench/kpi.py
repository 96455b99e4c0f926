"""KPI benchmark (issue 17): a full score run for a month and one rep's live refresh, on
500 reps, 5,000,000 activities, 200,000 deals and 100,000 contracts (all but the reps ×
``--scale``).

    .venv/bin/python bench/kpi.py --scale 0.02    # SQLite file var/bench/kpi-v<N>-s0.02.sqlite3
    .venv/bin/python bench/kpi.py                 # the issue's sizes (build: minutes, once)
    .venv/bin/python bench/kpi.py --build-only
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_kpi .venv/bin/python bench/kpi.py

The first run at a scale builds the data (``bench/kpi_data.py``); later runs reuse it. The
scheme is the default one ``migrate`` installs (``kpi.defaults``: 9 metrics over
contracts, payments, activities, evidence, deals, NPS, complaints and findings; the data
set has no evidence, after-sales records or findings, so those metrics read empty tables
and the figures are those of activities, deals, contracts and payments). Times:

* ``full_run`` — ``runs.run_period(scheme, start, end)`` for the last whole month (its
  run deleted before each timed run, so it is computed, not refused as final): ``--runs``
  (3) timed runs, median and max ms. Target: **< 20 s**. Beside it, each metric's
  ``metrics.compute`` for all reps on its own (ms), to show where the time goes.
* ``refresh`` — after the current month's live run exists, ``runs.refresh_users([rep])``
  for ``--samples`` (30) reps in turn: p50 / p95 ms. Target: **~50 ms**.

Result: ``bench/results/kpi-<db>.json`` and one summary line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
import kpi_data  # noqa: E402

NAME = "kpi"
VAR = common.ROOT / "var" / "bench"
TARGET_RUN_MS = 20_000.0
TARGET_REFRESH_MS = 50.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="data size × this (reps stay 500)")
    parser.add_argument("--runs", type=int, default=3, help="timed full runs")
    parser.add_argument("--samples", type=int, default=30, help="timed one-rep refreshes")
    parser.add_argument("--build-only", action="store_true", help="build the data, measure nothing")
    return parser.parse_args()


def database_url(scale: float) -> str:
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    VAR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{VAR / f'kpi-v{kpi_data.DATA_VERSION}-s{scale:g}.sqlite3'}"


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def full_run(scheme, start, end, runs_: int) -> dict:
    from salesops.kpi import metrics, runs, scoring
    from salesops.kpi.models import ScoreRun

    timings, run = [], None
    for _ in range(runs_):
        ScoreRun.objects.filter(scheme=scheme, period_start=start, period_end=end).delete()
        began = time.perf_counter()
        run = runs.run_period(scheme, start, end)
        timings.append(time.perf_counter() - began)
    draft = scoring.draft_from_version(run.version)
    user_ids = list(runs.members(scheme, end).values_list("pk", flat=True))
    per_metric = {}
    for item in draft.items:
        began = time.perf_counter()
        metrics.compute([item.metric_definition], user_ids, start, end)
        per_metric[item.code] = ms(time.perf_counter() - began)
    median = ms(statistics.median(timings))
    return {
        "period": [start.isoformat(), end.isoformat()],
        "reps": run.reps,
        "median_ms": median,
        "max_ms": ms(max(timings)),
        "target_ms": TARGET_RUN_MS,
        "met": median < TARGET_RUN_MS,
        "per_metric_ms": per_metric,
    }


def refresh(scheme, samples: int) -> dict:
    from salesops.core import clock
    from salesops.kpi import runs
    from salesops.kpi.models import ScoreRun

    today = clock.today()
    start, end = runs.month_bounds(today)
    if not ScoreRun.objects.filter(scheme=scheme, period_start=start, period_end=end).exists():
        runs.run_period(scheme, start, end)
    reps = list(runs.members(scheme, today).values_list("pk", flat=True))[:samples]
    runs.refresh_users([reps[0]], today)  # warm
    timings = []
    for rep in reps:
        began = time.perf_counter()
        runs.refresh_users([rep], today)
        timings.append(time.perf_counter() - began)
    p50 = ms(common.percentile(timings, 50))
    return {
        "samples": len(timings),
        "p50_ms": p50,
        "p95_ms": ms(common.percentile(timings, 95)),
        "target_ms": TARGET_REFRESH_MS,
        "met": p50 <= TARGET_REFRESH_MS,
    }


def counts() -> dict:
    from salesops.activities.models import Activity, ActivityRollup
    from salesops.pipeline.models import Deal
    from salesops.revenue.models import Contract, Payment

    return {
        "activities": Activity.objects.count(),
        "activity_rollup_rows": ActivityRollup.objects.count(),
        "deals": Deal.objects.count(),
        "contracts": Contract.objects.count(),
        "payments": Payment.objects.count(),
    }


def main():
    args = parse_args()
    url = common.setup_django(database_url(args.scale))
    built = kpi_data.ensure(args.scale)
    if args.build_only:
        print(f"kpi bench data ready at {url}: {built or 'already built'}")
        return
    from salesops.core import clock
    from salesops.kpi import defaults, runs
    from salesops.kpi.models import Scheme

    scheme = Scheme.objects.filter(name=defaults.SCHEME_NAME).first()
    if scheme is None:
        sys.exit("The default scheme is missing (kpi.defaults.install did not run).")
    last = clock.today().replace(day=1) - dt.timedelta(days=1)
    start, end = runs.month_bounds(last)
    figures = {
        "scale": args.scale,
        "data": counts(),
        "built": built,
        "full_run": full_run(scheme, start, end, args.runs),
        "refresh": refresh(scheme, args.samples),
    }
    run, one = figures["full_run"], figures["refresh"]
    summary = (
        f"full run {run['reps']} reps median {run['median_ms']:.0f} ms "
        f"(target < {TARGET_RUN_MS:.0f}), one rep refresh p50 {one['p50_ms']:.1f} ms "
        f"p95 {one['p95_ms']:.1f} ms, {figures['data']['activities']} activities"
    )
    common.write_result(NAME, figures, summary=summary)


if __name__ == "__main__":
    main()
