"""The data of the KPI benchmark (issue 17): the targets benchmark's organisation and
revenue (500 reps in 50 teams, 60,000 accounts, 200,000 deals, 100,000 contracts, 300,000
payments) plus 5,000,000 activities over the last year (the rhythm benchmark's generator:
working days, office hours, kinds, durations, result tags, the effective flag as the
service sets it), 20,000 NPS answers and 5,000 complaints on the reps' accounts (all but
the reps × ``--scale``).

Built once per data version and scale, then reused (``bench_kpi_meta``). ``executemany``
in batches, no signals: the activity rollup and the measure rollup are recounted once
after the load, as after any bulk import. PostgreSQL then ``VACUUM ANALYZE``; SQLite
plans from its defaults, as ``make run`` ships.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time

import common  # bench/ is on the path
import rhythm
import targets_data

DATA_VERSION = "1"
META_TABLE = "bench_kpi_meta"
FULL = {"activities": 5_000_000, "nps": 20_000, "complaints": 5_000}
SEED = 20261204


def sizes(scale: float) -> dict:
    out = targets_data.sizes(scale)
    out.update({k: max(1, round(v * scale)) for k, v in FULL.items()})
    return out


def meta():
    return common.read_meta(META_TABLE)


def build_seconds() -> float | None:
    return float(row[2]) if (row := meta()) else None


def ensure(scale: float) -> dict | None:
    """Migrate; build unless the database holds this version at this scale."""
    from django.core.management import call_command

    from salesops.customers.models import Account

    call_command("migrate", verbosity=0, interactive=False)
    row = meta()
    if row is not None and row[0] == DATA_VERSION and float(row[1]) == scale:
        return None
    if row is not None or Account.objects.exists():
        sys.exit(
            f"The bench database holds other data ({row or 'not built by this benchmark'}); "
            "delete it (or point BENCH_DATABASE_URL at an empty database) and run again."
        )
    return build(scale)


def build_service(rng, now, books, nps_count, complaint_count) -> dict:
    """NPS answers and complaints on the reps' accounts over the last year."""
    from salesops.aftersales.models import Complaint, NpsResponse

    accounts = [(rep, account) for rep, rows in books.items() for account, *_ in rows]
    today = now.date()
    nps = targets_data.Inserter(NpsResponse, with_id=False)
    for n in range(nps_count):
        _rep, account = accounts[rng.randrange(len(accounts))]
        score = min(10, max(0, round(rng.gauss(7.6, 2.0))))
        category = "promoter" if score >= 9 else ("passive" if score >= 7 else "detractor")
        day = today - dt.timedelta(days=rng.randrange(365))
        nps.add(
            NpsResponse(
                account_id=account,
                score=score,
                category=category,
                responded_on=day,
                external_id=f"bench-nps-{n}",
                source="import",
                created_at=now,
                updated_at=now,
            )
        )
    nps.flush()
    complaints = targets_data.Inserter(Complaint, with_id=False)
    for n in range(complaint_count):
        rep, account = accounts[rng.randrange(len(accounts))]
        day = today - dt.timedelta(days=rng.randrange(365))
        complaints.add(
            Complaint(
                account_id=account,
                severity=rng.choice(("minor", "minor", "major")),
                status="resolved",
                summary="交付延期",
                owner_id=rep,
                raised_on=day,
                resolved_on=day + dt.timedelta(days=rng.randrange(1, 10)),
                external_id=f"bench-complaint-{n}",
                source="import",
                created_at=now,
                updated_at=now,
            )
        )
    complaints.flush()
    return {"nps": nps.count, "complaints": complaints.count}


def build(scale: float) -> dict:
    from django.db import transaction
    from django.utils import timezone

    from salesops.activities import rollup as activity_rollup
    from salesops.core import clock
    from salesops.targets import rollup as measure_rollup

    want = sizes(scale)
    print(f"building the KPI bench data at scale {scale:g}: {want} (one time) …", flush=True)
    rng = random.Random(SEED)
    started = time.perf_counter()
    now = clock.now()
    today = timezone.localdate(now)
    steps = {}

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
        mark = step("organisation", mark)
        books, contacts = targets_data.build_accounts(
            rng, now, reps, active, region_of, want["accounts"]
        )
        mark = step("accounts and contacts", mark)
        won, deal_counts, lines = targets_data.build_deals(rng, now, active, books, want["deals"])
        mark = step("deals", mark)
        revenue = targets_data.build_revenue(
            rng, now, today, won, lines, want["contracts"], want["payments"]
        )
        mark = step("contracts and payments", mark)
        revenue["measure_rollup_rows"] = measure_rollup.rebuild()
        mark = step("measure rollup", mark)
        account_books = {rep: [row[0] for row in rows] for rep, rows in books.items() if rows}
        added = rhythm.add_activities(want["activities"], account_books, now)
        mark = step("activities", mark)
        buckets = activity_rollup.rebuild()
        mark = step("activity rollup", mark)
        service = build_service(rng, now, books, want["nps"], want["complaints"])
        mark = step("NPS and complaints", mark)
    targets_data._after_load()
    seconds = round(time.perf_counter() - started, 1)
    common.write_meta(META_TABLE, DATA_VERSION, scale, seconds)
    figures = {
        "scale": scale,
        "seconds": seconds,
        "steps_seconds": steps,
        "reps": len(reps),
        "contacts": contacts,
        "deals": deal_counts,
        "activities": added,
        "activity_rollup_rows": buckets,
        **revenue,
        **service,
    }
    print(f"KPI bench data built in {seconds} s: {figures}", flush=True)
    return figures
