"""Weekly report benchmark (SPEC A7): the whole organisation's week as the director reads it,
on the everyday-pages data set (``bench/pages_data.py``: 200 reps, ``2,000,000 × scale``
activities over 18 months, reused when already built).

    .venv/bin/python bench/weekly.py --scale 0.01      # quick check (builds pages data s0.01)
    .venv/bin/python bench/weekly.py --scale 2.5       # 5,000,000 activities (200 reps)
    BENCH_DATABASE_URL=postgres://… .venv/bin/python bench/weekly.py

**Figures** (``bench/results/weekly-<db>.json``): ``reports.weekly.weekly_report`` for
everyone (``owner_ids=None``) over the latest full ISO week with activities, and the same
for one region team: milliseconds (median and max over ``--runs``), the number of queries
(it must not grow with the reps: a test holds that too), the reps and activities the week
covers. The issue's target is the whole org (500 reps, 5,000,000 activities) under 2 s;
this data set keeps 200 reps, so ``--scale 2.5`` reaches the activities, not the reps.
Daily reports are not generated here: their reading is one indexed range query.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
import pages_data  # noqa: E402

NAME = "weekly"
VAR = common.ROOT / "var" / "bench"
TARGET_MS = 2000.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="pages data size × this")
    parser.add_argument("--runs", type=int, default=5, help="timed reports")
    return parser.parse_args()


def database_url(scale: float) -> str:
    VAR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{VAR / f'pages-v{pages_data.DATA_VERSION}-s{scale:g}.sqlite3'}"


def measure(first, owner_ids, runs: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from salesops.reports.weekly import weekly_report

    with CaptureQueriesContext(connection) as captured:
        report = weekly_report(first=first, owner_ids=owner_ids)
    times = []
    for _ in range(runs):
        _result, ms = common.timed(weekly_report, first=first, owner_ids=owner_ids)
        times.append(ms)
    return {
        "ms_median": round(statistics.median(times), 1),
        "ms_max": round(max(times), 1),
        "queries": len(captured.captured_queries),
        "reps": len(report.reps),
        "activities": report.total.activities,
        "effective": report.total.effective,
    }


def main():
    args = parse_args()
    os.environ["SALESOPS_VAR_DIR"] = str(VAR)
    common.setup_django(database_url(args.scale))
    pages_data.ensure(args.scale)

    from django.db.models import Max

    from salesops.activities.models import ActivityRollup
    from salesops.org.models import Team, TeamKind, User

    latest = ActivityRollup.objects.aggregate(day=Max("day"))["day"] or dt.date.today()
    # The latest full week: the Monday of the week before the latest activity's.
    first = latest - dt.timedelta(days=latest.weekday() + 7)
    team = Team.objects.filter(kind=TeamKind.REGION).order_by("path").first()
    team_ids = list(
        User.objects.filter(team__path__startswith=team.path).values_list("pk", flat=True)
    )
    figures = {
        "week_monday": first.isoformat(),
        "org": measure(first, None, args.runs),
        "team": measure(first, team_ids, args.runs),
        "target_org_ms": TARGET_MS,
        "scale": args.scale,
    }
    org = figures["org"]
    summary = (
        f"org week {org['ms_median']} ms (max {org['ms_max']}, {org['queries']} queries, "
        f"{org['reps']} reps, {org['activities']:,} activities; target < {TARGET_MS:g} ms), "
        f"team week {figures['team']['ms_median']} ms"
    )
    common.write_result(NAME, figures, summary=summary)


if __name__ == "__main__":
    main()
