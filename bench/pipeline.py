"""Pipeline benchmark: the kanban of a manager seeing 2,000 open deals, the stall sweep
over 200,000 open deals and the conversion aggregate over 1,000,000 stage changes
(all × ``--scale``).

    .venv/bin/python bench/pipeline.py --scale 0.01     # SQLite file var/bench/pipeline-v<N>-s0.01.sqlite3
    .venv/bin/python bench/pipeline.py                  # the issue's sizes (build: minutes, once)
    .venv/bin/python bench/pipeline.py --build-only     # build (or check) the data only
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_pipeline .venv/bin/python bench/pipeline.py

**Data** (built once per data version and scale, then reused; the database records both
in ``bench_pipeline_meta``): 200 reps in four region teams of 50 under a director, the
manager ``bench_manager`` leading the first; ``10,000 × scale`` accounts; ``200,000 ×
scale`` open deals over the default pipeline's open stages (``2,000 × scale`` of them
the manager's team's), 5 % of them stalled long ago, 1 % falling due in the window the
measured sweep reads, the rest due later; closed (won and lost) deals until the stage
changes reach ``1,000,000 × scale`` (a ``created`` row and the forward moves of each
deal, one in ten with a backward move; applied rows carry ``from_entered_at`` and the
working days, approximated as 5/7 of the calendar days: the report only reads them).
Rows are inserted with ``executemany`` in batches.

**Figures** (``bench/results/pipeline-<db>.json``):

* ``kanban`` — ``GET`` of ``pipeline:kanban`` as the manager through the server ``salesops
  run`` starts (as ``bench/pages.py``: gunicorn, worker, logged in through the form):
  p50/p95 ms over ``--samples`` requests, and the query count of one request in this
  process. Skipped with a note when the URL is not installed.
* ``stall`` — the selection of the open deals past ``stall_due_at`` (the query alone),
  and one automation timer sweep of the stall rule (the installed timer rule on
  ``deal.stall_due_at`` if there is one, else a bench rule "1 working minute after
  ``stall_due_at``, if status is open, notify the owner"): ms, firings, ms per firing.
* ``conversion`` — ``salesops.reports.pipeline_conversion`` when importable (its report
  function for the director), else the equivalent raw ``GROUP BY`` over the applied stage
  changes of the pipeline (from stage, to stage, direction: count and mean working days).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

NAME = "pipeline"
DATA_VERSION = "1"
META_TABLE = "bench_pipeline_meta"
VAR = common.ROOT / "var" / "bench"
FULL = {"accounts": 10_000, "open_deals": 200_000, "manager_open": 2_000, "changes": 1_000_000}
TEAMS = ("华南", "华东", "华北", "西南")
REPS_PER_TEAM = 50
MANAGER = "bench_manager"
BATCH = 20_000
SEED = 20261203
TARGET_KANBAN_P95_MS = 300.0
TARGET_MAX_QUERIES = 25


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="data size × this")
    parser.add_argument("--samples", type=int, default=30, help="timed kanban requests")
    parser.add_argument("--warmup", type=int, default=3, help="untimed kanban requests first")
    parser.add_argument("--runs", type=int, default=3, help="timed stall sweeps / aggregates")
    parser.add_argument("--only", choices=("all", "kanban", "stall", "conversion"), default="all")
    parser.add_argument("--build-only", action="store_true", help="build the data, measure nothing")
    return parser.parse_args()


def sizes(scale: float) -> dict:
    return {k: max(1, round(v * scale)) for k, v in FULL.items()}


def database_url(scale: float) -> str:
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    VAR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{VAR / f'pipeline-v{DATA_VERSION}-s{scale:g}.sqlite3'}"


def instants():
    """The sweep instant (a Tuesday 10:00 Shanghai) and the previous sweep (Monday 09:00):
    the deals due in between are the ones the measured sweep fires for."""
    from zoneinfo import ZoneInfo

    sh = ZoneInfo("Asia/Shanghai")
    return dt.datetime(2026, 11, 24, 10, 0, tzinfo=sh), dt.datetime(2026, 11, 23, 9, 0, tzinfo=sh)


# --- data --------------------------------------------------------------------------------------
def _meta():
    return common.read_meta(META_TABLE)


def _write_meta(scale: float, seconds: float) -> None:
    common.write_meta(META_TABLE, DATA_VERSION, scale, seconds)


def insert(model, objects, *, fields=None) -> int:
    """``executemany`` of ``objects`` (unsaved instances) in batches; ids included when
    set. Much faster than ``bulk_create`` at a million rows."""
    from django.db import connection

    concrete = [
        f
        for f in model._meta.concrete_fields
        if (fields is None or f.name in fields) and not (f.primary_key and f.attname == "id")
    ]
    with_id = fields is not None and "id" in fields
    if with_id:
        concrete.insert(0, model._meta.pk)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in concrete)
    marks = ", ".join(["%s"] * len(concrete))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
    n, rows = 0, []
    with connection.cursor() as cursor:
        for obj in objects:
            rows.append(
                tuple(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in concrete)
            )
            if len(rows) == BATCH:
                cursor.executemany(sql, rows)
                n += len(rows)
                rows = []
        if rows:
            cursor.executemany(sql, rows)
            n += len(rows)
    return n


def build(scale: float) -> dict:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from salesops.core.names import company_key
    from salesops.customers.models import Account
    from salesops.demo import PASSWORD
    from salesops.org import services as org_services
    from salesops.org.models import Role, TeamKind, User
    from salesops.pipeline import defaults
    from salesops.pipeline.models import Deal, Pipeline, StageChange

    size = sizes(scale)
    rng = random.Random(SEED)
    started = time.perf_counter()
    now, previous = instants()
    password = make_password(PASSWORD)
    with transaction.atomic():
        director = User.objects.create(
            username="director", role=Role.DIRECTOR, password=password, display_name="总监"
        )
        company = org_services.team_create(name="总部", kind=TeamKind.COMPANY, manager=director)
        reps_by_team = []
        for t, name in enumerate(TEAMS):
            manager = User.objects.create(
                username=MANAGER if t == 0 else f"manager_{t}",
                role=Role.MANAGER,
                password=password,
                display_name=f"经理{t}",
            )
            team = org_services.team_create(
                name=name, parent=company, kind=TeamKind.REGION, manager=manager
            )
            reps = User.objects.bulk_create(
                User(
                    username=f"rep{t}_{i:02d}",
                    role=Role.REP,
                    password=password,
                    display_name=f"{name}代表{i}",
                    team=team,
                )
                for i in range(REPS_PER_TEAM)
            )
            User.objects.filter(pk=manager.pk).update(team=team)
            reps_by_team.append(reps)
        everyone = [r for reps in reps_by_team for r in reps]
        accounts = []
        for i in range(max(size["accounts"], 2 * len(TEAMS) * REPS_PER_TEAM)):
            name = f"基准测试{i:06d}科技有限公司"
            key = company_key(name)
            owner = everyone[i % len(everyone)]
            accounts.append(
                Account(
                    name=name,
                    name_key=key,
                    name_prefix=key[:2],
                    owner=owner,
                    created_by=owner,
                    created_at=now - dt.timedelta(days=400),
                    updated_at=now - dt.timedelta(days=400),
                )
            )
        Account.objects.bulk_create(accounts, batch_size=2_000)
        books: dict[int, list[int]] = {}
        for account in accounts:
            books.setdefault(account.owner_id, []).append(account.pk)

    pipeline = defaults.install_default_pipeline() or Pipeline.objects.get(
        code=defaults.DEFAULT_CODE
    )
    stages = list(pipeline.stages.order_by("order"))
    open_stages = [s for s in stages if s.kind == "open"]
    won = next(s for s in stages if s.kind == "won")
    lost = next(s for s in stages if s.kind == "lost")
    next_id = (Deal.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    window = (now - previous).total_seconds()
    deals, changes = [], []

    def deal_with_moves(owner, status, k, due):
        nonlocal next_id
        entered = due - dt.timedelta(days=7)
        path = list(range(k + 1))
        if k >= 2 and rng.random() < 0.1:  # back one stage once, then on again
            path = [*range(k), k - 2, *range(k - 1, k + 1)]
        points = [entered - dt.timedelta(days=6 * (len(path) - 1 - i)) for i in range(len(path))]
        final = None
        if status == "won":
            final, closed = won, entered + dt.timedelta(days=3)
        elif status == "lost":
            final, closed = lost, entered + dt.timedelta(days=3)
        deal = Deal(
            id=next_id,
            name=f"商机{next_id}",
            account_id=rng.choice(books[owner.pk]),
            owner_id=owner.pk,
            pipeline_id=pipeline.pk,
            stage=final or open_stages[k],
            stage_entered_at=closed if final else points[-1],
            stall_due_at=None if final else due,
            status=status,
            amount=Decimal(rng.randrange(20, 900) * 1000),
            closed_at=closed if final else None,
            created_by_id=owner.pk,
            created_at=points[0],
            updated_at=points[-1],
        )
        next_id += 1
        deals.append(deal)
        moves = [(None, open_stages[path[0]], "created", points[0], None)]
        for i in range(1, len(path)):
            direction = "forward" if path[i] > path[i - 1] else "backward"
            moves.append(
                (
                    open_stages[path[i - 1]],
                    open_stages[path[i]],
                    direction,
                    points[i],
                    points[i - 1],
                )
            )
        if final:
            moves.append((open_stages[path[-1]], final, status, closed, points[-1]))
        for before, after, direction, at, since in moves:
            days = None if since is None else Decimal(f"{(at - since).days * 5 / 7:.2f}")
            changes.append(
                StageChange(
                    deal_id=deal.id,
                    from_stage=before,
                    to_stage=after,
                    direction=direction,
                    state="applied",
                    reason="客户需求变化" if direction == "backward" else "",
                    lost_reason="price" if direction == "lost" else "",
                    requested_by_id=owner.pk,
                    requested_at=at,
                    applied_at=at,
                    from_entered_at=since,
                    working_days_in_stage=days,
                    pipeline_id=pipeline.pk,
                    owner_id=owner.pk,
                    product_line="",
                )
            )

    weights = [30, 22, 18, 12, 10, 8][: len(open_stages)]
    for n in range(size["open_deals"]):
        team = reps_by_team[0] if n < size["manager_open"] else rng.choice(reps_by_team[1:])
        owner = rng.choice(team)
        roll = rng.random()
        if roll < 0.05:
            due = previous - dt.timedelta(days=rng.uniform(1, 60))
        elif roll < 0.06:
            due = previous + dt.timedelta(seconds=rng.uniform(1, window))
        else:
            due = now + dt.timedelta(days=rng.uniform(1, 30))
        deal_with_moves(owner, "open", rng.choices(range(len(open_stages)), weights)[0], due)
    while len(changes) < size["changes"]:
        owner = rng.choice(everyone)
        due = now - dt.timedelta(days=rng.uniform(10, 700))
        deal_with_moves(
            owner, rng.choice(["won", "lost", "lost"]), rng.randrange(len(open_stages)), due
        )
    with transaction.atomic():
        insert(Deal, deals, fields={f.name for f in Deal._meta.concrete_fields})
        insert(StageChange, changes[: size["changes"]])
        seconds = round(time.perf_counter() - started, 1)
        _write_meta(scale, seconds)
    _analyze([Deal, StageChange])
    print(f"built {len(deals):,} deals and {size['changes']:,} stage changes in {seconds} s")
    return {"seconds": seconds}


def _analyze(models) -> None:
    from django.db import connection

    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {quote(model._meta.db_table)}")


def ensure(scale: float) -> dict | None:
    """Migrate, then build the data unless this database already holds it."""
    from django.core.management import call_command

    from salesops.customers.models import Account

    call_command("migrate", verbosity=0, interactive=False)
    meta = _meta()
    if meta is not None and meta[0] == DATA_VERSION and float(meta[1]) == scale:
        return None
    if meta is not None or Account.objects.exists():
        sys.exit(
            f"The bench database holds other data ({meta or 'not built by this benchmark'}); "
            "delete it (or point BENCH_DATABASE_URL at an empty database) and run again."
        )
    print(f"building the pipeline data at scale {scale:g} (one time) …", flush=True)
    return build(scale)


# --- figures -----------------------------------------------------------------------------------
def measure_kanban(args, url: str) -> dict:
    from django.db import connection
    from django.urls import NoReverseMatch, reverse

    from salesops.org.models import User
    from salesops.pipeline.models import Deal

    try:
        path = reverse("pipeline:kanban")
    except NoReverseMatch:
        return {"note": "not measured: the URL pipeline:kanban is not installed"}
    import pages  # the server and login of the pages benchmark

    manager = User.objects.get(username=MANAGER)
    figures = {
        "url": path,
        "open_deals_visible": Deal.objects.visible_to(manager).filter(status="open").count(),
    }
    figures.update(pages.query_figures(manager, path, with_explain=False))
    connection.close()  # SQLite: the server reads now
    server = pages.Server(url)
    try:
        jar = pages.login(server, MANAGER)
        figures.update(pages.measure(server, jar, path, args.samples, args.warmup))
    finally:
        server.stop()
    return figures


def _stall_rule():
    """The installed timer rule on ``deal.stall_due_at``, or the bench's own."""
    from salesops.automation import services
    from salesops.automation.models import Rule

    rules = Rule.objects.filter(is_active=True, trigger_type="timer", entity="deal")
    for rule in rules.exclude(code="bench-deal-stall").select_related("current_version"):
        version = rule.current_version
        if version is not None and (version.trigger or {}).get("field") == "stall_due_at":
            return rule, f"installed rule {rule.code or rule.pk}"
    existing = Rule.objects.filter(code="bench-deal-stall").first()
    spec = {
        "trigger_type": "timer",
        "entity": "deal",
        "trigger": {"field": "stall_due_at", "minutes": 1, "unit": "working"},
        "condition": 'status == "open"',
        "actions": [{"kind": "notify", "to": ["owner"], "title": "Stalled: {name}"}],
    }
    if existing is None:
        return services.rule_create(actor=None, code="bench-deal-stall", name="bench", **spec), (
            "bench rule (no stall rule installed)"
        )
    return services.rule_update(actor=None, rule=existing, **spec), "bench rule"


def measure_stall(args) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from salesops.automation import engine
    from salesops.automation.models import Rule, RuleFiring, RuleWatermark
    from salesops.core import clock
    from salesops.notifications.models import Notification
    from salesops.pipeline.models import Deal

    now, previous = instants()
    open_n = Deal.objects.filter(status="open").count()
    selection = []
    for _ in range(args.runs + 1):
        ids, ms = common.timed(
            lambda: list(
                Deal.objects.filter(status="open", stall_due_at__lte=now).values_list(
                    "pk", flat=True
                )
            )
        )
        selection.append(ms)
    figures = {
        "open_deals": open_n,
        "past_due": len(ids),
        "selection_ms": round(statistics.median(selection[1:]), 1),
    }
    rule, origin = _stall_rule()
    Rule.objects.exclude(pk=rule.pk).filter(trigger_type="timer").update(is_active=False)
    runs, fired, queries = [], 0, 0
    for _ in range(args.runs):
        RuleFiring.objects.filter(rule=rule).delete()
        Notification.objects.all().delete()
        RuleWatermark.objects.filter(rule=rule).delete()
        RuleWatermark.objects.create(rule=rule, level=0, cutoff=previous)
        with CaptureQueriesContext(connection) as ctx, clock.frozen(now):
            totals, ms = common.timed(engine.run_timers, now)
        fired, queries = totals.get("fired", 0), len(ctx.captured_queries)
        runs.append(round(ms, 1))
    median = statistics.median(runs)
    figures.update(
        {
            "rule": origin,
            "sweep_ms": {"runs": runs, "median": round(median, 1)},
            "fired": fired,
            "sweep_queries": queries,
            "ms_per_firing": round(median / fired, 2) if fired else None,
        }
    )
    return figures


def measure_conversion(args) -> dict:
    """The conversion report (``salesops.reports.pipeline_conversion.conversion``) as the
    director opens it: the whole pipeline, every owner, the last two years."""
    from salesops.pipeline.models import Pipeline, StageChange
    from salesops.reports.pipeline_common import Period
    from salesops.reports.pipeline_conversion import conversion

    pipeline = Pipeline.objects.order_by("pk").first()
    today = instants()[0].date()
    period = Period(start=today - dt.timedelta(days=730), end=today)

    def work():
        return conversion(pipeline=pipeline, period=period, owner_ids=None)

    report = work()  # warm
    times = [common.timed(work)[1] for _ in range(args.runs)]
    return {
        "changes": StageChange.objects.count(),
        "measured": "salesops.reports.pipeline_conversion.conversion (director: all owners, 730 days)",
        "stays_entered": sum(row.entered for row in report.rows),
        "bottleneck": report.bottleneck.stage.code if report.bottleneck else None,
        "runs_ms": [round(t, 1) for t in times],
        "median_ms": round(statistics.median(times), 1),
    }


def main():
    args = parse_args()
    url = database_url(args.scale)
    os.environ["SALESOPS_VAR_DIR"] = str(VAR)
    common.setup_django(url)
    built = ensure(args.scale)
    if args.build_only:
        return
    figures = {"scale": args.scale, "data_version": DATA_VERSION, "sizes": sizes(args.scale)}
    if built:
        figures["data_build_seconds"] = built["seconds"]
    parts = []
    if args.only in ("all", "stall"):
        figures["stall"] = measure_stall(args)
        s = figures["stall"]
        parts.append(
            f"stall: select {s['selection_ms']} ms ({s['past_due']:,} of {s['open_deals']:,}), "
            f"sweep {s['sweep_ms']['median']} ms for {s['fired']:,} firings"
        )
    if args.only in ("all", "conversion"):
        figures["conversion"] = measure_conversion(args)
        c = figures["conversion"]
        parts.append(f"conversion {c['median_ms']} ms over {c['changes']:,} changes")
    if args.only in ("all", "kanban"):
        figures["kanban"] = measure_kanban(args, url)
        k = figures["kanban"]
        parts.append(
            f"kanban p95 {k['p95_ms']} ms, {k.get('queries')} queries"
            if "p95_ms" in k
            else f"kanban: {k.get('note', 'not measured')}"
        )
        if "p95_ms" in k:
            figures["targets"] = {
                f"kanban p95<{TARGET_KANBAN_P95_MS:g}ms": "ok"
                if k["p95_ms"] < TARGET_KANBAN_P95_MS
                else "MISS",
                f"kanban queries<={TARGET_MAX_QUERIES}": "ok"
                if k.get("queries", 0) <= TARGET_MAX_QUERIES
                else "MISS",
            }
    common.write_result(NAME, figures, summary="; ".join(parts))


if __name__ == "__main__":
    main()
