"""The data of the KPI benchmark (issue 17): the targets benchmark's organisation and
revenue (500 reps, 60,000 accounts, 200,000 deals, 100,000 signed contracts, 300,000
payments — ``bench/targets_data.py``) plus 5,000,000 activities (all but the reps ×
``--scale``).

* **Activities** (``5,000,000 × scale``) over the last 365 days up to now, by the reps who
  have deals, on accounts of their own book: calls 55 %, WeChat 20 %, visits 10 %, email
  10 %, meetings 5 %; working hours 08:00–20:00 local, weekends rarer; ~45 % effective
  (a result tag that counts as a contact, 1–30 minutes), the rest short or without a tag.
* **Activity rollup**: counted while generating (owner, local day, hour) and inserted
  once, as ``activities.rollup`` keeps it (the rows went in with ``executemany``: no
  signals).

Built once per data version and scale (``bench_kpi_meta``), then reused.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
from collections import Counter
from zoneinfo import ZoneInfo

import common
import targets_data

DATA_VERSION = "1"
META_TABLE = "bench_kpi_meta"
FULL_ACTIVITIES = 5_000_000
BATCH = 20_000
SEED = 20261217
KINDS = (("call", 55), ("wechat", 20), ("visit", 10), ("email", 10), ("meeting", 5))
EFFECTIVE_SHARE = 0.45


def meta():
    return common.read_meta(META_TABLE)


def ensure(scale: float) -> dict | None:
    """Migrate; build unless this database holds this version at this scale."""
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
    started = time.perf_counter()
    figures = {"targets_data": targets_data.build(scale)}
    figures["activities"] = build_activities(scale)
    seconds = round(time.perf_counter() - started, 1)
    common.write_meta(META_TABLE, DATA_VERSION, scale, seconds)
    figures["seconds"] = seconds
    print(f"kpi bench data built in {seconds} s", flush=True)
    return figures


def _tag_id():
    from salesops.activities.models import ResultTag

    tag = ResultTag.objects.filter(counts_as_contact=True).order_by("pk").first()
    if tag is None:
        tag = ResultTag.objects.create(code="bench_reached", label_zh="已接通", label_en="Reached")
    return tag.pk


def build_activities(scale: float) -> dict:
    from django.conf import settings
    from django.db import connection, transaction

    from salesops.activities.models import Activity, ActivityRollup
    from salesops.core import clock
    from salesops.customers.models import Account
    from salesops.pipeline.models import Deal

    count = max(1, round(FULL_ACTIVITIES * scale))
    print(f"building {count} activities (one time) …", flush=True)
    started = time.perf_counter()
    rng = random.Random(SEED)
    zone = ZoneInfo(settings.TIME_ZONE)
    utc = dt.UTC
    now = clock.now()
    today = now.astimezone(zone).date()
    active = set(Deal.objects.values_list("owner_id", flat=True).distinct())
    books: dict[int, list[int]] = {}
    for pk, owner in Account.objects.filter(owner_id__in=active).values_list("pk", "owner_id"):
        books.setdefault(owner, []).append(pk)
    owners = sorted(books)
    kinds = [k for k, w in KINDS for _ in range(w)]
    tag = _tag_id()
    adapt = connection.ops.adapt_datetimefield_value
    fields = [f.column for f in Activity._meta.concrete_fields]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(Activity._meta.db_table)} ({', '.join(quote(c) for c in fields)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    rollup: Counter = Counter()
    effective_rollup: Counter = Counter()
    rows = []
    with transaction.atomic(), connection.cursor() as cursor:
        for n in range(1, count + 1):
            owner = owners[n % len(owners)] if n <= len(owners) else rng.choice(owners)
            day = today - dt.timedelta(days=rng.randrange(365))
            if day.weekday() >= 5 and rng.random() < 0.8:
                day -= dt.timedelta(days=day.weekday() - 4)
            hour = rng.randrange(8, 20)
            local = dt.datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=zone)
            if local > now:
                local = now.astimezone(zone) - dt.timedelta(minutes=rng.randrange(1, 600))
                day, hour = local.date(), local.hour
            at = local.astimezone(utc)
            effective = rng.random() < EFFECTIVE_SHARE
            seconds = rng.randrange(60, 1800) if effective else rng.randrange(0, 50)
            stamp = adapt(at)
            rows.append(
                (
                    n, stamp, stamp, None, "{}", rng.choice(kinds), owner, None,
                    rng.choice(books[owner]), None, None, stamp, None, seconds, "typed",
                    tag if effective else None, "", effective, None,
                )
            )  # fmt: skip
            key = (owner, day, hour)
            rollup[key] += 1
            if effective:
                effective_rollup[key] += 1
            if len(rows) >= BATCH:
                cursor.executemany(sql, rows)
                rows = []
        if rows:
            cursor.executemany(sql, rows)
        ActivityRollup.objects.all().delete()
        ActivityRollup.objects.bulk_create(
            (
                ActivityRollup(owner_id=o, day=d, hour=h, activities=c, effective=effective_rollup[(o, d, h)])
                for (o, d, h), c in rollup.items()
            ),
            batch_size=BATCH,
        )  # fmt: skip
    if connection.vendor == "postgresql":
        from django.core.management.color import no_style

        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), [Activity]):
                cursor.execute(statement)
            cursor.execute("VACUUM ANALYZE")
    seconds = round(time.perf_counter() - started, 1)
    print(f"  activities: {count} in {seconds} s ({len(rollup)} rollup rows)", flush=True)
    return {"activities": count, "rollup_rows": len(rollup), "seconds": seconds}
