"""KPI benchmark (issue 17): a full score run for a month, one rep's live refresh, a rep's
self-service page and the organisation ranking, on 500 reps, 5,000,000 activities,
200,000 deals and 100,000 contracts (all but the reps × ``--scale``).

    .venv/bin/python bench/kpi.py --scale 0.05     # SQLite file var/bench/kpi-v<N>-s0.05.sqlite3
    .venv/bin/python bench/kpi.py                  # the issue's sizes (build: minutes, once)
    .venv/bin/python bench/kpi.py --build-only
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_kpi .venv/bin/python bench/kpi.py

The first run at a scale builds the data (``bench/kpi_data.py``). Each run then installs
the default metric library and scheme (``kpi.defaults.install``) and times, in order:

* ``run`` — ``runs.run_period(<default scheme>, <last complete month>)`` for every rep
  (the month's earlier run deleted first): ``--runs`` (3) timed runs, median and max.
  Target: **< 20 s**.
* ``refresh`` — ``runs.refresh_users([rep])`` for ``--samples`` random reps in the
  current month (what the minutely sweep does for a rep with new data, and what the
  self-service page does when the rep's scores are stale): p50/p95 ms.
* ``self_service`` — ``/kpi/me/`` as a rep and ``ranking`` — ``/kpi/rankings/?scope=org``
  as the director, through ``salesops run`` as ``make run`` starts it (bench/pages.py's
  server and login form): p50/p95 ms over ``--samples`` requests after ``--warmup``;
  query count and database ms of one request in this process. Targets: **p95 < 200 ms**
  and **< 300 ms**.

The compliance scan's documents/s is ``bench/kpi_compliance.py``. Result:
``bench/results/kpi-<db>.json`` and one summary line.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
import kpi_data  # noqa: E402
from targets import NotMeasured, service  # noqa: E402

NAME = "kpi"
VAR = common.ROOT / "var" / "bench"
TARGET_RUN_MS = 20_000.0
TARGET_SELF_P95_MS = 200.0
TARGET_RANKING_P95_MS = 300.0
PARTS = ("run", "refresh", "self_service", "ranking")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="data size × this (reps stay 500)")
    parser.add_argument("--runs", type=int, default=3, help="timed full score runs")
    parser.add_argument("--samples", type=int, default=30, help="timed refreshes / requests")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests first")
    parser.add_argument("--only", choices=("all", *PARTS), default="all")
    parser.add_argument("--build-only", action="store_true", help="build the data, measure nothing")
    return parser.parse_args()


def database_url(scale: float) -> str:
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    VAR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{VAR / f'kpi-v{kpi_data.DATA_VERSION}-s{scale:g}.sqlite3'}"


def default_scheme():
    install = service("salesops.kpi.defaults", "install")
    install()
    from salesops.kpi.models import Scheme

    scheme = Scheme.objects.filter(is_active=True, team__isnull=True, role="rep").first()
    if scheme is None:
        raise NotMeasured("no organisation-wide rep scheme after kpi.defaults.install()")
    return scheme


def last_month():
    from salesops.core import clock

    month_bounds = service("salesops.kpi.runs", "month_bounds")
    first = clock.today().replace(day=1)
    return month_bounds(first - __import__("datetime").timedelta(days=1))


def full_run(scheme, runs: int) -> dict:
    from salesops.kpi.models import MetricValue, RepScore, ScoreRun

    run_period = service("salesops.kpi.runs", "run_period")
    start, end = last_month()
    times, run = [], None
    for _ in range(max(1, runs)):
        ScoreRun.objects.filter(scheme=scheme, period_start=start, period_end=end).delete()
        began = time.perf_counter()
        run = run_period(scheme, start, end)
        times.append((time.perf_counter() - began) * 1000)
    return {
        "period": [str(start), str(end)],
        "reps": RepScore.objects.filter(run=run).count(),
        "values": MetricValue.objects.filter(run=run).count(),
        "state": run.state,
        "median_ms": round(statistics.median(times), 1),
        "max_ms": round(max(times), 1),
        "runs_ms": [round(t, 1) for t in times],
    }


def refresh(samples: int) -> dict:
    from salesops.org.models import User

    refresh_users = service("salesops.kpi.runs", "refresh_users")
    reps = list(User.objects.filter(role="rep", is_active=True).values_list("pk", flat=True))
    rng = random.Random(17)
    refresh_users([reps[0]])  # creates the current month's live run when missing
    times = []
    for _ in range(samples):
        times.append(common.timed(refresh_users, [rng.choice(reps)])[1])
    return {
        "p50_ms": round(common.percentile(times, 50), 1),
        "p95_ms": round(common.percentile(times, 95), 1),
        "max_ms": round(max(times), 1),
    }


def page(user, path: str, args, url: str) -> dict:
    import pages
    from django.db import connection

    figures = {"url": path, "user": user.username}
    figures.update(pages.query_figures(user, path, with_explain=False))
    if figures["status_in_process"] != 200:
        raise NotMeasured(f"{path} answers {figures['status_in_process']} in process")
    connection.close()  # SQLite: the server reads now
    server = pages.Server(url)
    try:
        jar = pages.login(server, user.username)
        figures.update(pages.measure(server, jar, path, args.samples, args.warmup))
    finally:
        server.stop()
    if "p95_ms" not in figures:
        raise NotMeasured(figures.get("note", "the page was not measured"))
    return figures


def counts() -> dict:
    from salesops.activities.models import Activity
    from salesops.org.models import User
    from salesops.pipeline.models import Deal
    from salesops.revenue.models import Contract, Payment

    return {
        "reps": User.objects.filter(role="rep").count(),
        "activities": Activity.objects.count(),
        "deals": Deal.objects.count(),
        "contracts": Contract.objects.count(),
        "payments": Payment.objects.count(),
    }


def verdicts(figures: dict) -> dict:
    checks = {
        "run": ("median_ms", TARGET_RUN_MS, f"full run<{TARGET_RUN_MS / 1000:g}s"),
        "self_service": (
            "p95_ms",
            TARGET_SELF_P95_MS,
            f"self-service p95<{TARGET_SELF_P95_MS:g}ms",
        ),
        "ranking": (
            "p95_ms",
            TARGET_RANKING_P95_MS,
            f"org ranking p95<{TARGET_RANKING_P95_MS:g}ms",
        ),
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
    built = kpi_data.ensure(args.scale)
    if args.build_only:
        return
    from django.urls import reverse

    from salesops.org.models import User

    figures = {
        "scale": args.scale,
        "data_version": kpi_data.DATA_VERSION,
        "counts": counts(),
        "data_build_seconds": built["seconds"] if built else kpi_data.build_seconds(),
    }
    if built:
        figures["data_build"] = built
    wanted = [p for p in PARTS if args.only in ("all", p)]
    try:
        scheme = default_scheme()
    except NotMeasured as exc:
        scheme = None
        for part in wanted:
            figures[part] = {"note": f"not measured: {exc}"}
    if scheme is not None:
        rep = User.objects.filter(role="rep", is_active=True).order_by("pk").first()
        director = User.objects.get(username=kpi_data.targets_data.DIRECTOR)
        jobs = {
            "run": lambda: full_run(scheme, args.runs),
            "refresh": lambda: refresh(args.samples),
            "self_service": lambda: page(rep, reverse("kpi:my_score"), args, url),
            "ranking": lambda: page(director, reverse("kpi:rankings") + "?scope=org", args, url),
        }
        for part in wanted:
            try:
                figures[part] = jobs[part]()
            except (NotMeasured, Exception) as exc:  # noqa: BLE001 - reported in the result
                figures[part] = {"note": f"not measured: {type(exc).__name__}: {exc}"}
            print(f"  {part}: {figures[part]}", flush=True)
    figures["targets"] = verdicts(figures)
    misses = [k for k, v in figures["targets"].items() if not v.startswith("ok")]
    summary = (
        f"scale {args.scale:g} ({figures['counts']['activities']:,} activities, "
        f"{figures['counts']['deals']:,} deals, {figures['counts']['reps']} reps): "
        + "; ".join(f"{k} {v}" for k, v in figures["targets"].items())
        + (f" — MISSED/NOT MEASURED: {', '.join(misses)}" if misses else " — all targets met")
    )
    common.write_result(NAME, figures, summary=summary)


if __name__ == "__main__":
    main()
