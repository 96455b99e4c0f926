"""Automation benchmark: the timer sweep over 1,000,000 records and event dispatch through
50 rules.

    .venv/bin/python bench/automation.py                 # SQLite file var/bench-automation.sqlite3
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_automation \\
        .venv/bin/python bench/automation.py

The first run migrates the bench database and bulk-inserts ``--entities`` tasks (the
lightest registered entity with a timer field: ``task.due_at``, indexed) owned by 200
users, in shuffled order so due records are scattered over the table; later runs reuse
them. Due instants: 60 % long past, 1 % in the window the sweep reads, the rest in the
future. The timer rule is "60 working minutes after ``due_at``, if ``done_at == None``,
notify the assignee" (``notify_many``).

Figures (``bench/results/automation-<db>.json``):

* ``sweep_none_due_ms`` — one ``automation.timers`` sweep when nothing fell due since the
  last one (watermark at the previous cutoff, clock one minute later): rule, watermark,
  one index range query that finds nothing. Target < 200 ms. ``range_query_plan`` shows
  the plan.
* ``sweep_one_percent_ms`` — one sweep with 1 % of the records (10,000) due: range query,
  loading in chunks of 1,000, condition per record, bulk insert of the firings, the
  notifications through ``notify_many``, results. Target < 10 s.
* ``event_dispatch`` — ``emit`` + dispatch of one ``task.updated`` event (autocommit, so
  it dispatches at once) with 0 and with 50 active rules (all matching and notifying;
  and all with a false condition); ``added_p50_ms`` is the difference. Target < 2 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

NAME = "automation"
USERS = 200
TARGET_NONE_MS = 200.0
TARGET_ONE_PERCENT_S = 10.0
TARGET_EVENT_MS = 2.0
EVENT_RULES = 50


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entities", type=int, default=1_000_000, help="tasks to create")
    parser.add_argument("--runs", type=int, default=3, help="timed sweeps with 1%% due")
    parser.add_argument("--samples", type=int, default=20, help="timed sweeps with none due")
    parser.add_argument("--events", type=int, default=300, help="timed emits per case")
    parser.add_argument(
        "--only",
        choices=["all", "sweeps", "events"],
        default="all",
        help="measure only the sweeps or only event dispatch (the other figures are kept "
        "from the last result)",
    )
    return parser.parse_args()


def instants():
    """The sweep instant (a Tuesday 10:00 in Shanghai), the cutoff of 60 working minutes
    before it, and the previous cutoff (Monday 09:00): the 1 % window is (previous, cutoff]."""
    from zoneinfo import ZoneInfo

    from salesops.automation.triggers import due_cutoff

    sh = ZoneInfo("Asia/Shanghai")
    now = dt.datetime(2026, 11, 24, 10, 0, tzinfo=sh)
    cutoff = due_cutoff(now, 60, "working")
    previous = dt.datetime(2026, 11, 23, 9, 0, tzinfo=sh)
    return now, cutoff, previous


def ensure_data(total: int) -> float | None:
    """Migrate and insert the tasks if needed; returns the seconds the insert took."""
    from django.core.management import call_command

    from salesops.org.models import User
    from salesops.org.tests.factories import UserFactory
    from salesops.todos.models import Task

    call_command("migrate", verbosity=0, interactive=False)
    count = Task.objects.count()
    if count >= total:
        return None
    if count:
        sys.exit(
            f"The bench database has {count:,} tasks, not {total:,}. Delete it (or point "
            "BENCH_DATABASE_URL at an empty database) and run again."
        )
    print(f"inserting {total:,} tasks (one time) …", flush=True)
    started = time.perf_counter()
    # password=None: an unusable password, no hashing per user
    users = [
        UserFactory.build(username=f"bench_rep_{n}", display_name=f"Bench rep {n}", password=None)
        for n in range(USERS)
    ]
    User.objects.bulk_create(users, ignore_conflicts=True)
    user_ids = list(
        User.objects.filter(username__startswith="bench_rep_").values_list("pk", flat=True)
    )
    now, cutoff, previous = instants()
    due_count = total // 100
    past = int(total * 0.6)
    rng = random.Random(20261124)
    window = (cutoff - previous).total_seconds()
    moments = (
        [previous - dt.timedelta(seconds=rng.randrange(60, 400 * 86400)) for _ in range(past)]
        + [previous + dt.timedelta(seconds=(i + 1) * window / due_count) for i in range(due_count)]
        + [
            now + dt.timedelta(days=1, seconds=rng.randrange(0, 200 * 86400))
            for _ in range(total - past - due_count)
        ]
    )
    rng.shuffle(moments)
    batch = []
    for n, due in enumerate(moments):
        created = due - dt.timedelta(days=1)
        # The model itself, not TaskFactory.build(): factory_boy costs about five times
        # as much per object, minutes at a million rows.
        batch.append(
            Task(
                title=f"跟进任务 {n}",
                assignee_id=user_ids[n % len(user_ids)],
                due_at=due,
                created_at=created,
                updated_at=created,
                source="bench",
            )
        )
        if len(batch) == 10_000:
            Task.objects.bulk_create(batch)
            batch = []
            if n % 100_000 < 10_000:
                print(f"  {n + 1:,}", flush=True)
    Task.objects.bulk_create(batch)
    seconds = time.perf_counter() - started
    print(f"inserted in {seconds:.0f} s", flush=True)
    return round(seconds, 1)


def rule(code: str, **definition):
    """The bench rule with this code, created or brought back to ``definition``."""
    from salesops.automation import services
    from salesops.automation.models import Rule

    existing = Rule.objects.filter(code=code).first()
    if existing is None:
        return services.rule_create(actor=None, code=code, name=code, **definition)
    services.rule_set_active(actor=None, rule=existing, active=True)
    return services.rule_update(actor=None, rule=existing, **definition)


def set_watermark(rule_obj, cutoff):
    from salesops.automation.models import RuleWatermark

    RuleWatermark.objects.update_or_create(rule=rule_obj, level=0, defaults={"cutoff": cutoff})


def explain(sql: str) -> list[str]:
    from django.db import connection

    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql)
        return [" ".join(str(c) for c in row) for row in cursor.fetchall()]


def measure_sweeps(args) -> dict:
    from django.db import connection
    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext

    from salesops.automation import engine
    from salesops.automation.models import Rule, RuleFiring
    from salesops.core import clock

    now, cutoff, previous = instants()
    timer = rule(
        "bench-timer",
        trigger_type="timer",
        entity="task",
        trigger={"field": "due_at", "minutes": 60, "unit": "working"},
        condition="done_at == None",
        actions=[{"kind": "notify", "to": ["owner"], "title": "Overdue: {title}"}],
    )
    Rule.objects.exclude(pk=timer.pk).filter(trigger_type="timer").update(is_active=False)

    # --- none due: the watermark is at the last cutoff, one minute has passed
    later = now + dt.timedelta(minutes=1)
    none_times = []
    for _ in range(args.samples + 2):
        set_watermark(timer, cutoff)
        with clock.frozen(later):
            totals, ms = common.timed(engine.run_timers, later)
        assert totals["fired"] == 0, totals
        none_times.append(ms)
    none_times = none_times[2:]  # warm-up
    set_watermark(timer, cutoff)
    with CaptureQueriesContext(connection) as ctx, clock.frozen(later):
        engine.run_timers(later)
    range_sql = next(q["sql"] for q in ctx.captured_queries if '"due_at" >' in q["sql"])

    # --- 1 % due: the watermark is at the previous cutoff (Monday 09:00)
    due_runs = []
    fired = 0
    for _ in range(args.runs):
        RuleFiring.objects.filter(rule=timer).delete()
        set_watermark(timer, previous)
        with clock.frozen(now):
            totals, ms = common.timed(engine.run_timers, now)
        fired = totals["fired"]
        due_runs.append(round(ms))
        print(f"  sweep with 1% due: {totals} in {ms:.0f} ms", flush=True)
    statuses = dict(
        RuleFiring.objects.filter(rule=timer)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return {
        "sweep_none_due_ms": {
            "p50": round(statistics.median(none_times), 2),
            "max": round(max(none_times), 2),
            "samples": len(none_times),
            "queries": len(ctx.captured_queries),
            "range_query": range_sql[:600],
            "range_query_plan": explain(range_sql),
        },
        "sweep_one_percent_ms": {
            "runs": due_runs,
            "median": statistics.median(due_runs),
            "fired": fired,
            "firing_statuses": statuses,
        },
    }


def measure_events(args) -> dict:
    from salesops.automation.models import Rule
    from salesops.core import events
    from salesops.todos.models import Task

    Rule.objects.filter(trigger_type="event").update(is_active=False)
    task = Task.objects.order_by("pk").first()
    payload = {"id": task.pk, "changed": ["title"], "actor_id": None}

    def sample(n) -> list[float]:
        for _ in range(10):
            events.emit("task.updated", payload)
        times = []
        for _ in range(n):
            _, ms = common.timed(events.emit, "task.updated", payload)
            times.append(ms)
        return times

    def figures(times):
        return {
            "p50": round(statistics.median(times), 3),
            "p95": round(common.percentile(times, 95), 3),
        }

    baseline = sample(args.events)
    matching = [
        rule(
            f"bench-event-{n}",
            trigger_type="event",
            trigger={"event": "task.updated"},
            condition="done_at == None and 'title' in changed",
            actions=[{"kind": "notify", "to": ["owner"], "title": "Changed: {title}"}],
        )
        for n in range(EVENT_RULES)
    ]
    firing = sample(args.events)
    for r in matching:
        rule(
            r.code,
            trigger_type="event",
            trigger={"event": "task.updated"},
            condition="done_at != None",
            actions=[{"kind": "notify", "to": ["owner"], "title": "Changed: {title}"}],
        )
    false_condition = sample(args.events)
    Rule.objects.filter(trigger_type="event").update(is_active=False)
    base = figures(baseline)
    fire = figures(firing)
    quiet = figures(false_condition)
    return {
        "no_rules_ms": base,
        "rules_50_firing_ms": fire,
        "rules_50_condition_false_ms": quiet,
        "added_p50_ms_firing": round(fire["p50"] - base["p50"], 3),
        "added_p50_ms_condition_false": round(quiet["p50"] - base["p50"], 3),
        "samples": args.events,
    }


def main():
    args = parse_args()
    common.setup_django(f"sqlite:///{common.ROOT / 'var' / 'bench-automation.sqlite3'}")

    from salesops.core import entities
    from salesops.todos.models import Task

    entity = entities.get("task")
    assert "due_at" in entity.timer_fields, entity.timer_fields
    insert_seconds = ensure_data(args.entities)
    figures = {"entity": "task", "entities": Task.objects.count()}
    previous = (common.read_result(NAME) or {}).get("figures", {})
    if args.only in ("all", "sweeps"):
        figures.update(measure_sweeps(args))
    else:
        figures.update({k: previous[k] for k in ("sweep_none_due_ms", "sweep_one_percent_ms")})
    if args.only in ("all", "events"):
        figures["event_dispatch"] = measure_events(args)
    else:
        figures["event_dispatch"] = previous["event_dispatch"]
    if insert_seconds is not None:
        figures["insert_seconds"] = insert_seconds
    else:
        if "insert_seconds" in previous:
            figures["insert_seconds"] = previous["insert_seconds"]
    figures["targets"] = check_targets(figures)
    misses = [k for k, v in figures["targets"].items() if v.startswith("MISS")]
    summary = (
        f"{figures['entities']:,} tasks; sweep none due p50 "
        f"{figures['sweep_none_due_ms']['p50']} ms; 1% due median "
        f"{figures['sweep_one_percent_ms']['median'] / 1000:.2f} s "
        f"({figures['sweep_one_percent_ms']['fired']:,} fired); event through 50 rules adds "
        f"{figures['event_dispatch']['added_p50_ms_firing']} ms firing / "
        f"{figures['event_dispatch']['added_p50_ms_condition_false']} ms not; "
        + (f"MISSED: {', '.join(misses)}" if misses else "all targets met")
    )
    common.write_result(NAME, figures, summary=summary)


def check_targets(figures: dict) -> dict:
    def verdict(ok, shown):
        return f"{'ok' if ok else 'MISS'} ({shown})"

    none_ms = figures["sweep_none_due_ms"]["max"]
    due_s = max(figures["sweep_one_percent_ms"]["runs"]) / 1000
    added = figures["event_dispatch"]["added_p50_ms_firing"]
    quiet = figures["event_dispatch"]["added_p50_ms_condition_false"]
    return {
        f"sweep none due <{TARGET_NONE_MS:g}ms (max)": verdict(
            none_ms < TARGET_NONE_MS, f"{none_ms} ms"
        ),
        f"sweep 1% due <{TARGET_ONE_PERCENT_S:g}s (slowest run)": verdict(
            due_s < TARGET_ONE_PERCENT_S, f"{due_s:.2f} s"
        ),
        f"event through 50 firing rules adds <{TARGET_EVENT_MS:g}ms (p50)": verdict(
            added < TARGET_EVENT_MS, f"{added} ms"
        ),
        f"event through 50 non-matching rules adds <{TARGET_EVENT_MS:g}ms (p50)": verdict(
            quiet < TARGET_EVENT_MS, f"{quiet} ms"
        ),
    }


if __name__ == "__main__":
    main()
