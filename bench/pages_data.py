"""The data of the pages benchmark: the large demo organisation grown to the sizes of
issue 13 — 200 reps, 50,000 accounts, 200,000 leads, 2,000,000 activities — times
``--scale``.

Built once per data version and scale, then reused (the benchmark database records both
in a one-row table ``bench_pages_meta``):

1. ``salesops.demo.build`` with a size of our own (200 reps, ``50,000 × scale`` accounts
   with 3 contacts each, ``200,000 × scale`` leads over 18 months): the demo's realistic Chinese company
   names (a city, a two-character 字号 drawn without look-alikes, a trade word and a legal
   form; every name unique), credit codes, contacts, leads with their inquiries,
   assignments and first-contact activities, contracts with plans, payments, invoices,
   deliveries, tickets, NPS answers, complaints, renewals and the "created" history rows.
   Reps stay at 200 at every scale: the manager's team (华南, 50 reps) and the director's
   view keep their shape.
2. More activities up to ``2,000,000 × scale``: calls, visits, WeChat chats, emails and
   meetings by the reps on their own accounts (70 %) and their own contacted leads
   (30 %), over the last 18 months (more of them recent), in office hours, each started
   after its record was created. ``effective`` is ``activities.services.is_effective``
   of the tag and the duration, exactly what a check-in stores. Written with
   ``executemany`` of one ``INSERT`` in batches of 20,000 inside one transaction (the
   column list comes from the model, so a field added later gets its default).
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
import sys
import time

DATA_VERSION = "2"
FULL = {"reps": 200, "accounts": 50_000, "leads": 200_000, "activities": 2_000_000}
META_TABLE = "bench_pages_meta"
ACTIVITY_BATCH = 20_000
SPAN_DAYS = 548
# 200,000 leads over 18 months (about 365 a day), not the demo's 40 days (5,000 a day):
# the home page's "last 30 days" figures then read a month of leads, as in real use.
LEAD_DAYS = SPAN_DAYS
SEED = 20261202
NOTES = ["", "", "", "下周回访", "已加微信", "要报价单", "约了演示", "客户在出差", "需要方案"]
KINDS = [("call", 55), ("wechat", 20), ("visit", 10), ("email", 8), ("meeting", 7)]
DURATIONS = {  # seconds a kind of activity lasts: (low, high)
    "call": (5, 900),
    "wechat": (20, 1200),
    "visit": (900, 5400),
    "email": (0, 120),
    "meeting": (1200, 7200),
}


def sizes(scale: float) -> dict:
    out = {k: max(1, round(v * scale)) for k, v in FULL.items()}
    out["reps"] = FULL["reps"]
    return out


def _meta():
    """``(version, scale)`` recorded in the database, or None."""
    from django.db import connection

    if META_TABLE not in connection.introspection.table_names():
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT version, scale FROM {META_TABLE}")  # noqa: S608 - constant
        row = cursor.fetchone()
    return (row[0], float(row[1])) if row else None


def _write_meta(scale: float, seconds: float) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {META_TABLE} (version varchar(20), scale real, build_seconds real)"
        )
        cursor.execute(
            f"INSERT INTO {META_TABLE} VALUES (%s, %s, %s)",  # noqa: S608 - constant
            [DATA_VERSION, scale, seconds],
        )


def build_seconds() -> float | None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT build_seconds FROM {META_TABLE}")  # noqa: S608 - constant
        row = cursor.fetchone()
    return float(row[0]) if row else None


def ensure(scale: float) -> dict | None:
    """Migrate; build the data unless the database holds this version at this scale.
    Returns the build's figures when it built, else None."""
    from django.core.management import call_command

    from salesops.customers.models import Account

    call_command("migrate", verbosity=0, interactive=False)
    meta = _meta()
    if meta == (DATA_VERSION, scale):
        return None
    if meta is not None or Account.objects.exists():
        sys.exit(
            f"The bench database holds other data ({meta or 'not built by this benchmark'}); "
            "delete it (or point BENCH_DATABASE_URL at an empty database) and run again."
        )
    return build(scale)


def build(scale: float) -> dict:
    from django.db import transaction

    from salesops.demo import SIZES, Size
    from salesops.demo.build import build as demo_build

    want = sizes(scale)
    print(f"building the bench data at scale {scale:g}: {want} (one time) …", flush=True)
    started = time.perf_counter()
    name = f"bench-{scale:g}"
    SIZES[name] = Size(
        reps=want["reps"], accounts=want["accounts"], leads=want["leads"], lead_days=LEAD_DAYS
    )
    try:
        result = demo_build(name, stdout=_Progress())
    finally:
        del SIZES[name]
    demo_seconds = time.perf_counter() - started
    print(result.summary(), flush=True)
    from salesops.activities import rollup

    with transaction.atomic():
        added = add_activities(want["activities"])
        rollup.rebuild()  # the inserts bypassed the per-row rollup signals
    _analyze()
    seconds = round(time.perf_counter() - started, 1)
    _write_meta(scale, seconds)
    figures = {
        "scale": scale,
        "demo_seconds": round(demo_seconds, 1),
        "activities_added": added,
        "seconds": seconds,
    }
    print(f"bench data built in {seconds} s ({added:,} activities added)", flush=True)
    return figures


class _Progress:
    def write(self, line: str) -> None:
        print(line, flush=True)


def _office_instant(rng: random.Random, after: dt.datetime, now: dt.datetime, tz):
    """An instant between ``after`` and ``now``, weighted to recent, on a weekday in
    office hours (local time), never in the future."""
    span = (now - after).total_seconds()
    moment = (after + dt.timedelta(seconds=span * rng.random() ** 0.6)).astimezone(tz)
    if moment.weekday() >= 5:
        moment -= dt.timedelta(days=moment.weekday() - 4)
    moment = moment.replace(hour=rng.randrange(9, 19), minute=rng.randrange(60))
    moment = moment.replace(second=rng.randrange(60)).astimezone(dt.UTC)
    return max(min(moment, now), after)


def add_activities(target: int) -> int:
    """Activities up to ``target`` in all (the demo's first contacts count)."""
    from django.db import connection
    from django.utils import timezone

    from salesops.activities.models import Activity, ResultTag
    from salesops.activities.services import is_effective
    from salesops.core import clock
    from salesops.customers.models import Account, Contact
    from salesops.leads.models import Lead
    from salesops.org.models import Role, User

    missing = target - Activity.objects.count()
    if missing <= 0:
        return 0
    rng = random.Random(SEED)
    now = clock.now()
    tz = timezone.get_default_timezone()
    reps = list(User.objects.filter(role=Role.REP).order_by("pk").values_list("pk", flat=True))
    accounts: dict[int, list] = {rep: [] for rep in reps}
    for pk, owner, created in Account.objects.filter(owner__in=reps).values_list(
        "pk", "owner_id", "created_at"
    ):
        accounts[owner].append((pk, created))
    contacts: dict[int, list[int]] = {}
    for pk, account in Contact.objects.values_list("pk", "account_id"):
        contacts.setdefault(account, []).append(pk)
    leads: dict[int, list] = {rep: [] for rep in reps}
    for pk, owner, contacted in Lead.objects.filter(
        owner__in=reps, first_contact_at__isnull=False
    ).values_list("pk", "owner_id", "first_contact_at"):
        leads[owner].append((pk, contacted))
    tags = list(ResultTag.objects.filter(is_active=True).order_by("order", "pk"))
    # The reps with the biggest books log the most: weight by accounts + leads.
    weights = list(itertools.accumulate(len(accounts[r]) + len(leads[r]) + 1 for r in reps))
    kinds = [k for k, _ in KINDS]
    kind_cum = list(itertools.accumulate(w for _, w in KINDS))

    fields = [f for f in Activity._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {connection.ops.quote_name(Activity._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
    names = [f.attname for f in fields]
    defaults = {f.attname: f.get_db_prep_save(f.get_default(), connection) for f in fields}
    if connection.vendor == "sqlite":
        # What adapt_datetimefield_value stores (naive UTC text), without its checks:
        # a third of the time of making a row. The instants here are UTC already.
        def adapt(value):
            return str(value.replace(tzinfo=None))

    else:
        adapt = connection.ops.adapt_datetimefield_value

    def row() -> tuple:
        rep = reps[bisect.bisect(weights, rng.random() * weights[-1])]
        values = dict(defaults)
        kind = kinds[bisect.bisect(kind_cum, rng.random() * kind_cum[-1])]
        if leads[rep] and (rng.random() < 0.3 or not accounts[rep]):
            lead, after = rng.choice(leads[rep])
            values["lead_id"] = lead
        elif accounts[rep]:
            account, after = rng.choice(accounts[rep])
            values["account_id"] = account
            people = contacts.get(account)
            if people and rng.random() < 0.8:
                values["contact_id"] = rng.choice(people)
        else:
            return None
        started = _office_instant(rng, after, now, tz)
        low, high = DURATIONS[kind]
        seconds = int(rng.uniform(low, high))
        tag = rng.choice(tags) if rng.random() < 0.97 else None  # a few left unfinished
        ended = started + dt.timedelta(seconds=seconds)
        values.update(
            kind=kind,
            owner_id=rep,
            created_by_id=rep,
            started_at=adapt(started),
            ended_at=adapt(ended) if tag else None,
            duration_seconds=seconds if tag else 0,
            tag_id=tag.pk if tag else None,
            note=rng.choice(NOTES) if tag else "",
            effective=is_effective(tag, seconds if tag else 0),
            checked_in_at=adapt(ended) if tag else None,
            created_at=adapt(started),
            updated_at=adapt(ended),
        )
        return tuple(values[name] for name in names)

    done = 0
    with connection.cursor() as cursor:
        while done < missing:
            batch = []
            while len(batch) < min(ACTIVITY_BATCH, missing - done):
                values = row()
                if values is not None:
                    batch.append(values)
            cursor.executemany(sql, batch)
            done += len(batch)
            if done % 200_000 < ACTIVITY_BATCH or done == missing:
                print(f"  {done:,} / {missing:,} activities …", flush=True)
    return done


def _analyze() -> None:
    """PostgreSQL plans from statistics and counts from the visibility map (index-only
    scans): VACUUM ANALYZE after the bulk load, as the demo does for its own tables,
    rather than waiting for autovacuum. SQLite plans from its defaults, as in the demo."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
