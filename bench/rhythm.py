"""Daily-rhythm benchmark (issue 15): 500 reps and 5,000,000 activities (× ``--scale``),
then one section per feature of the manager's day.

    .venv/bin/python bench/rhythm.py --scale 0.02       # SQLite var/bench/rhythm-v<N>-s0.02.sqlite3
    .venv/bin/python bench/rhythm.py                    # the issue's sizes (build: minutes, once)
    .venv/bin/python bench/rhythm.py --build-only       # build (or check) the data only
    .venv/bin/python bench/rhythm.py --sections heatmap --samples 50
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_rhythm .venv/bin/python bench/rhythm.py

**Data** (built once per data version and scale, then reused; the database records both
in ``bench_rhythm_meta``): a director over 5 regions, each with a manager and two groups
of 50 reps with their own managers (500 reps, 10 groups); two accounts per rep;
``5,000,000 × scale`` finished activities (calls, WeChat, visits, emails, meetings) on the
reps' accounts over the 365 days before the bench's "now" (Tuesday 2026-11-24 10:00
Shanghai), on Chinese working days only, between 08:00 and 21:00 (most in office hours),
``effective`` as a check-in stores it (``activities.services.is_effective`` of the tag and
the duration). Rows go in with ``executemany`` in batches of 20,000 (the column list
comes from the model); then ``activities.rollup.rebuild()`` recounts the per-rep, per-day,
per-hour rollup the inserts bypassed.

**Sections** (``--sections``, comma-separated; each adds ``figures[<name>]``):

* ``heatmap`` (SPEC A4) — the morning heatmap of one group (50 reps) for the previous
  working day (Monday 2026-11-23): the selector alone (``reports.heatmap.team_heatmap``
  as the group's manager sees it: p50/p95 ms and its query count), the page
  ``/reports/heatmap/`` through Django's test client in this process (the full middleware,
  view and template, logged in as that manager; p50/p95 ms and query count), the
  region's (100 reps) selector for comparison, and the morning message's summaries for
  every manager (one run). Target: < 100 ms for one team-day.
* ``weekly`` (SPEC A7, weekly report for the whole org < 2 s) and ``matching`` (SPEC N3,
  < 50 ms per query over 10,000 knowledge items) — to be added by the issue's other
  parts: write ``measure_<name>(args) -> dict`` and register it in :data:`SECTIONS`. Until
  then they are listed as "not built yet".

Result: ``bench/results/rhythm-<db>.json`` and one summary line.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import itertools
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

NAME = "rhythm"
DATA_VERSION = "1"
META_TABLE = "bench_rhythm_meta"
VAR = common.ROOT / "var" / "bench"
FULL = {"activities": 5_000_000}
REGIONS = ("华南", "华东", "华北", "西南", "华中")
GROUPS_PER_REGION = 2
REPS_PER_GROUP = 50
ACCOUNTS_PER_REP = 2
SPAN_DAYS = 365
BATCH = 20_000
SEED = 20261203
MANAGER = "bench_manager"  # the first group's manager: the measured heatmap
REGION_MANAGER = "bench_region_manager"
TARGET_HEATMAP_MS = 100.0
TARGET_WEEKLY_MS = 2000.0
KINDS = [("call", 55), ("wechat", 20), ("visit", 10), ("email", 8), ("meeting", 7)]
DURATIONS = {"call": (5, 900), "wechat": (20, 1200), "visit": (900, 5400), "email": (0, 120),
             "meeting": (1200, 7200)}  # fmt: skip
# Hours activities start in, weighted: office hours most, some early and late.
HOURS = [(8, 2), (9, 9), (10, 11), (11, 10), (12, 4), (13, 6), (14, 10), (15, 11), (16, 10),
         (17, 8), (18, 4), (19, 3), (20, 2)]  # fmt: skip


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="activities × this")
    parser.add_argument("--samples", type=int, default=30, help="timed runs per figure")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs first")
    parser.add_argument(
        "--sections", default="all", help=f"comma-separated: {', '.join(SECTIONS)} (or all)"
    )
    parser.add_argument("--build-only", action="store_true", help="build the data, measure nothing")
    return parser.parse_args()


def sizes(scale: float) -> dict:
    out = {k: max(1, round(v * scale)) for k, v in FULL.items()}
    out["reps"] = len(REGIONS) * GROUPS_PER_REGION * REPS_PER_GROUP
    return out


def database_url(scale: float) -> str:
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    VAR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{VAR / f'rhythm-v{DATA_VERSION}-s{scale:g}.sqlite3'}"


def bench_now() -> dt.datetime:
    """The bench's "now": Tuesday 2026-11-24 10:00 Shanghai (the heatmap shows Monday)."""
    from zoneinfo import ZoneInfo

    return dt.datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


# --- data --------------------------------------------------------------------------------------
def _meta():
    return common.read_meta(META_TABLE)


def _write_meta(scale: float, seconds: float) -> None:
    common.write_meta(META_TABLE, DATA_VERSION, scale, seconds)


def ensure(scale: float) -> dict | None:
    """Migrate, then build the data unless this database already holds it."""
    from django.core.management import call_command

    from salesops.activities.models import Activity

    call_command("migrate", verbosity=0, interactive=False)
    meta = _meta()
    if meta is not None and meta[0] == DATA_VERSION and float(meta[1]) == scale:
        return None
    if meta is not None or Activity.objects.exists():
        sys.exit(
            f"The bench database holds other data ({meta or 'not built by this benchmark'}); "
            "delete it (or point BENCH_DATABASE_URL at an empty database) and run again."
        )
    print(f"building the rhythm data at scale {scale:g}: {sizes(scale)} (one time) …", flush=True)
    return build(scale)


def build_org(now: dt.datetime) -> dict[int, list[int]]:
    """The organisation and two accounts per rep; returns ``{rep id: [account ids]}``."""
    from django.contrib.auth.hashers import make_password

    from salesops.core.names import company_key
    from salesops.customers.models import Account
    from salesops.demo import PASSWORD
    from salesops.org import services as org_services
    from salesops.org.models import Role, TeamKind, User

    password = make_password(PASSWORD)

    def person(username, role, name, team=None):
        return User.objects.create(
            username=username, role=role, password=password, display_name=name, team=team
        )

    director = person("director", Role.DIRECTOR, "总监")
    company = org_services.team_create(name="总部", kind=TeamKind.COMPANY, manager=director)
    User.objects.filter(pk=director.pk).update(team=company)
    reps: list[User] = []
    for r, region_name in enumerate(REGIONS):
        boss = person(
            REGION_MANAGER if r == 0 else f"region_manager_{r}", Role.MANAGER, f"{region_name}总"
        )
        region = org_services.team_create(
            name=region_name, parent=company, kind=TeamKind.REGION, manager=boss
        )
        User.objects.filter(pk=boss.pk).update(team=region)
        for g in range(GROUPS_PER_REGION):
            username = MANAGER if (r, g) == (0, 0) else f"manager_{r}_{g}"
            manager = person(username, Role.MANAGER, f"{region_name}{g + 1}组经理")
            group = org_services.team_create(
                name=f"{region_name}{g + 1}组", parent=region, kind=TeamKind.GROUP, manager=manager
            )
            User.objects.filter(pk=manager.pk).update(team=group)
            reps += User.objects.bulk_create(
                User(
                    username=f"rep{r}_{g}_{i:02d}",
                    role=Role.REP,
                    password=password,
                    display_name=f"{region_name}{g + 1}组代表{i:02d}",
                    team=group,
                )
                for i in range(REPS_PER_GROUP)
            )
    accounts = []
    for i in range(len(reps) * ACCOUNTS_PER_REP):
        name = f"节奏基准{i:06d}科技有限公司"
        key = company_key(name)
        owner = reps[i % len(reps)]
        created = now - dt.timedelta(days=SPAN_DAYS + 30)
        accounts.append(
            Account(
                name=name,
                name_key=key,
                name_prefix=key[:2],
                owner=owner,
                created_by=owner,
                created_at=created,
                updated_at=created,
            )  # fmt: skip
        )
    Account.objects.bulk_create(accounts, batch_size=2_000)
    books: dict[int, list[int]] = {}
    for account in accounts:
        books.setdefault(account.owner_id, []).append(account.pk)
    return books


def add_activities(target: int, books: dict[int, list[int]], now: dt.datetime) -> int:
    """``target`` finished activities on the reps' accounts over the working days of the
    last :data:`SPAN_DAYS` days (never after ``now``)."""
    from django.db import connection
    from django.utils import timezone

    from salesops.activities.models import Activity, ResultTag
    from salesops.activities.services import is_effective
    from salesops.core.calendar import default_calendar

    rng = random.Random(SEED)
    tz = timezone.get_default_timezone()
    cal = default_calendar()
    local_now = now.astimezone(tz)
    days = [
        day
        for day in (local_now.date() - dt.timedelta(days=n) for n in range(SPAN_DAYS, -1, -1))
        if cal.is_workday(day)
    ]
    reps = sorted(books)
    tags = list(ResultTag.objects.filter(is_active=True).order_by("order", "pk"))
    kinds = [k for k, _ in KINDS]
    kind_cum = list(itertools.accumulate(w for _, w in KINDS))
    hours = [h for h, _ in HOURS]
    hour_cum = list(itertools.accumulate(w for _, w in HOURS))
    fields = [f for f in Activity._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(Activity._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
    names = [f.attname for f in fields]
    defaults = {f.attname: f.get_db_prep_save(f.get_default(), connection) for f in fields}
    if connection.vendor == "sqlite":  # naive UTC text, as the backend stores it

        def adapt(value):
            return str(value.astimezone(dt.UTC).replace(tzinfo=None))

    else:
        adapt = connection.ops.adapt_datetimefield_value

    def row() -> tuple | None:
        rep = reps[rng.randrange(len(reps))]
        day = days[rng.randrange(len(days))]
        hour = hours[bisect.bisect(hour_cum, rng.random() * hour_cum[-1])]
        started = dt.datetime.combine(day, dt.time(hour, rng.randrange(60), rng.randrange(60)))
        started = started.replace(tzinfo=tz)
        if started > local_now:
            return None
        kind = kinds[bisect.bisect(kind_cum, rng.random() * kind_cum[-1])]
        low, high = DURATIONS[kind]
        seconds = int(rng.uniform(low, high))
        tag = tags[rng.randrange(len(tags))]
        ended = started + dt.timedelta(seconds=seconds)
        values = dict(defaults)
        values.update(
            kind=kind,
            owner_id=rep,
            created_by_id=rep,
            account_id=books[rep][rng.randrange(len(books[rep]))],
            started_at=adapt(started),
            ended_at=adapt(ended),
            duration_seconds=seconds,
            duration_source="timer",
            tag_id=tag.pk,
            effective=is_effective(tag, seconds),
            checked_in_at=adapt(ended),
            created_at=adapt(ended),
            updated_at=adapt(ended),
        )
        return tuple(values[name] for name in names)

    done = 0
    with connection.cursor() as cursor:
        while done < target:
            batch = []
            while len(batch) < min(BATCH, target - done):
                values = row()
                if values is not None:
                    batch.append(values)
            cursor.executemany(sql, batch)
            done += len(batch)
            if done % 500_000 < BATCH or done == target:
                print(f"  {done:,} / {target:,} activities …", flush=True)
    return done


def build(scale: float) -> dict:
    from django.db import transaction

    from salesops.activities import rollup
    from salesops.core import clock

    size = sizes(scale)
    now = bench_now()
    started = time.perf_counter()
    with clock.frozen(now), transaction.atomic():
        books = build_org(now)
        added = add_activities(size["activities"], books, now)
        inserted = time.perf_counter() - started
        print(f"  inserted in {inserted:.0f} s; recounting the rollup …", flush=True)
        buckets = rollup.rebuild()  # the inserts bypassed the per-row rollup signals
    _analyze()
    seconds = round(time.perf_counter() - started, 1)
    _write_meta(scale, seconds)
    print(f"rhythm data built in {seconds} s ({added:,} activities, {buckets:,} rollup rows)")
    return {"seconds": seconds, "insert_seconds": round(inserted, 1), "rollup_rows": buckets}


def _analyze() -> None:
    """Fresh statistics after the bulk load (PostgreSQL: VACUUM ANALYZE; SQLite: ANALYZE),
    as a production database would have them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


# --- sections ----------------------------------------------------------------------------------
def _timings(fn, args) -> dict:
    for _ in range(args.warmup):
        fn()
    times = [common.timed(fn)[1] for _ in range(args.samples)]
    return {
        "p50_ms": round(common.percentile(times, 50), 1),
        "p95_ms": round(common.percentile(times, 95), 1),
        "max_ms": round(max(times), 1),
    }


def _queries(fn) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured)


def measure_heatmap(args) -> dict:
    from django.test import Client

    from salesops.core import clock
    from salesops.org.models import Team, User
    from salesops.reports import heatmap, heatmap_digest

    manager = User.objects.get(username=MANAGER)
    region_manager = User.objects.get(username=REGION_MANAGER)
    group = Team.objects.get(manager=manager)
    region = Team.objects.get(manager=region_manager)
    out: dict = {}
    with clock.frozen(bench_now()):
        day = heatmap.default_day()
        data = heatmap.team_heatmap(group, day, viewer=manager)
        out.update(
            day=day.isoformat(),
            team=group.name,
            reps=len(data.rows),
            hours=len(data.hours),
            effective=data.effective,
            activities=data.activities,
        )

        def selector():
            return heatmap.team_heatmap(group, day, viewer=manager)

        out["selector"] = {**_timings(selector, args), "queries": _queries(selector)}

        def region_selector():
            return heatmap.team_heatmap(region, day, viewer=region_manager)

        out["selector_region_100_reps"] = _timings(region_selector, args)

        # the morning message: every manager's summary (16 teams, 500 reps) in one go
        # (the first run of a process also loads the translation catalogues)
        items, first_ms = common.timed(heatmap_digest.digest_items, day)
        _items, warm_ms = common.timed(heatmap_digest.digest_items, day)
        out["morning_message"] = {
            "messages": len(items),
            "first_ms": round(first_ms, 1),
            "ms": round(warm_ms, 1),
        }

        client = Client()
        client.force_login(manager)
        url = f"/reports/heatmap/?team={group.pk}&day={day.isoformat()}"

        def page():
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
            return response

        out["page"] = {**_timings(page, args), "queries": _queries(page)}
        # the default page (no parameters) is the same team-day: the previous workday
        default = client.get("/reports/heatmap/").content.decode()
        out["page_default_is_that_day"] = (
            f'value="{day.isoformat()}"' in default
            and 'data-testid="heatmap-default-day"' in default
        )
    out["target"] = (
        "ok"
        if max(out["selector"]["p95_ms"], out["page"]["p95_ms"]) < TARGET_HEATMAP_MS
        else "MISS"
    )
    return out


def measure_weekly(args) -> dict:
    """The whole organisation's weekly report (A7) for the last full ISO week, as the
    director reads it (``owner_ids=None``): ``reports.weekly.weekly_report``, and the page
    through the test client."""
    from django.test import Client
    from django.utils import timezone

    from salesops.core import clock
    from salesops.org.models import User
    from salesops.reports.weekly import weekly_report

    now = bench_now()
    today = timezone.localtime(now).date()
    first = today - dt.timedelta(days=today.weekday() + 7)  # last week's Monday
    out: dict = {"week": first.isoformat()}
    with clock.frozen(now):
        report = weekly_report(first=first, owner_ids=None)
        out["reps"] = len(report.reps)

        def org_week():
            return weekly_report(first=first, owner_ids=None)

        out["report"] = {**_timings(org_week, args), "queries": _queries(org_week)}
        director = User.objects.filter(role="director").first()
        client = Client()
        client.force_login(director)
        iso = first.isocalendar()
        url = f"/reports/weekly/?week={iso.year}-W{iso.week:02d}"

        def page():
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
            return response

        out["page"] = {**_timings(page, args), "queries": _queries(page)}
    worst = max(out["report"]["p95_ms"], out["page"]["p95_ms"])
    out["target"] = "ok" if worst < TARGET_WEEKLY_MS else "MISS"
    return out


# name → measure(args) -> figures. The knowledge matching has its own data (10,000 items)
# and benchmark: bench/knowledge.py.
SECTIONS = {
    "heatmap": measure_heatmap,
    "weekly": measure_weekly,
}


def _summary(name: str, f: dict) -> str:
    if name == "heatmap":
        return (
            f"heatmap {f['reps']} reps: selector p95 {f['selector']['p95_ms']} ms "
            f"({f['selector']['queries']} q), page p95 {f['page']['p95_ms']} ms "
            f"({f['page']['queries']} q), target <{TARGET_HEATMAP_MS:g} ms {f['target']}"
        )
    if name == "weekly":
        return (
            f"weekly org ({f['reps']} reps): report p95 {f['report']['p95_ms']} ms "
            f"({f['report']['queries']} q), page p95 {f['page']['p95_ms']} ms "
            f"({f['page']['queries']} q), target <{TARGET_WEEKLY_MS:g} ms {f['target']}"
        )
    return f"{name}: {f.get('note', 'measured')}"


def main():
    args = parse_args()
    wanted = list(SECTIONS) if args.sections == "all" else args.sections.split(",")
    unknown = [name for name in wanted if name not in SECTIONS]
    if unknown:
        sys.exit(f"unknown section(s): {', '.join(unknown)}; known: {', '.join(SECTIONS)}")
    url = database_url(args.scale)
    os.environ["SALESOPS_VAR_DIR"] = str(VAR)
    common.setup_django(url)
    built = ensure(args.scale)
    if args.build_only:
        return
    from salesops.activities.models import Activity, ActivityRollup

    figures: dict = {
        "scale": args.scale,
        "data_version": DATA_VERSION,
        "sizes": sizes(args.scale),
        "activities": Activity.objects.count(),
        "rollup_rows": ActivityRollup.objects.count(),
    }
    if built:
        figures["data_build"] = built
    parts = []
    for name in wanted:
        measure = SECTIONS[name]
        if measure is None:
            figures[name] = {"note": "not built yet"}
        else:
            figures[name] = measure(args)
        parts.append(_summary(name, figures[name]))
    common.write_result(NAME, figures, summary="; ".join(parts))


if __name__ == "__main__":
    main()
