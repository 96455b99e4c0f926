"""The automation engine: turns due timers, scheduled instants and domain events into
firings, exactly once, and runs their actions.

Exactly once: every firing is a row unique on ``(rule, entity, object_id, key)``. A batch
of candidate firings is inserted with ``bulk_create(ignore_conflicts=True)`` carrying a
fresh claim token, then re-read by that token: only the rows this run inserted come back,
and only their actions run. A sweep run twice, or two workers at the same instant, insert
the same keys; the loser's rows are ignored and it runs nothing. The rows, the actions'
database writes (notifications, tasks, field changes, webhook deliveries) and the results
commit in one transaction, so a crash leaves either all of it or none of it.

Event rules run in the worker: the request that emitted an event only looks up which
rules listen and enqueues one task (:func:`.tasks.on_event`), so its latency does not depend on
how many rules act; the task (:func:`process_event`) fires them, keyed by the event id,
so a retried or twice-delivered task fires once.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.db import connection, transaction

from salesops.core import clock, entities, events
from salesops.core.calendar import default_calendar
from salesops.core.configcache import ConfigCache
from salesops.core.expressions import Expression, ExpressionError, compile_expression

from . import actions, context, triggers
from .models import FiringStatus, Rule, RuleFiring, RuleVersion, RuleWatermark, TriggerType

log = logging.getLogger(__name__)

CHUNK_SIZE = 1000


@lru_cache(maxsize=2048)
def compiled(source: str) -> Expression:
    """Conditions were checked against the entity's names when the rule was saved; at run
    time they are compiled once per process and reused."""
    return compile_expression(source)


@dataclass
class Candidate:
    """A firing that may happen: the rule matched (or failed to evaluate) for a record."""

    rule: Rule
    version: RuleVersion
    entity_key: str
    object_id: int
    key: str
    instance: Any = None
    variables: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)
    level: int | None = None
    error: str = ""
    # The rules whose actions caused the triggering event (see core.events.caused_by).
    cause: tuple[int, ...] = ()

    @property
    def identity(self):
        return (self.rule.pk, self.entity_key, self.object_id, self.key)


@dataclass
class Evaluation:
    matched: bool
    stopped: bool = False  # the timer's "unless" was true
    values: dict = field(default_factory=dict)
    error: str = ""


def evaluate(version: RuleVersion, variables: dict) -> Evaluation:
    """The timer's "unless" (if any) and the condition, with the values they read."""
    values: dict = {}
    unless = (version.trigger or {}).get("unless") if version.trigger_type == "timer" else ""
    try:
        if unless:
            expr = compiled(unless)
            values.update({n: variables.get(n) for n in expr.names})
            if expr.evaluate(variables):
                return Evaluation(False, stopped=True, values=actions.json_safe(values))
        if version.condition:
            expr = compiled(version.condition)
            values.update({n: variables.get(n) for n in expr.names})
            matched = bool(expr.evaluate(variables))
        else:
            matched = True
    except ExpressionError as exc:
        return Evaluation(True, values=actions.json_safe(values), error=str(exc))
    return Evaluation(matched, values=actions.json_safe(values))


def candidate_for(rule, version, entity_key, instance, variables, key, level=None):
    """A Candidate if the rule should fire for this record (or report an error), else None."""
    result = evaluate(version, variables)
    if not result.matched:
        return None
    return Candidate(
        rule=rule,
        version=version,
        entity_key=entity_key,
        object_id=getattr(instance, "pk", None) or 0,
        key=key,
        instance=instance,
        variables=variables,
        values=result.values,
        level=level,
        error=result.error,
    )


# --- firing -------------------------------------------------------------------------------
def fire(candidates: list[Candidate]) -> list[RuleFiring]:
    """Insert the candidates' firings and run the actions of those this call inserted."""
    if not candidates:
        return []
    token = uuid.uuid4()
    now = clock.now()
    batch = actions.Batch()
    rows = {}
    for c in candidates:
        rows[c.identity] = RuleFiring(
            rule=c.rule,
            version=c.version,
            entity=c.entity_key,
            object_id=c.object_id,
            key=c.key,
            fired_at=now,
            status=FiringStatus.CONDITION_ERROR if c.error else FiringStatus.PENDING,
            condition_values=c.values,
            error=c.error,
            claim=token,
        )
    by_identity = {c.identity: c for c in candidates}
    with transaction.atomic():
        RuleFiring.objects.bulk_create(list(rows.values()), ignore_conflicts=True)
        # Only the rows this call inserted carry its token; the objects built above are
        # reused (given their ids) rather than read back in full.
        claimed = []
        for pk, rule_id, entity, object_id, key in (
            RuleFiring.objects.filter(claim=token)
            .order_by("pk")
            .values_list("pk", "rule_id", "entity", "object_id", "key")
        ):
            firing = rows[(rule_id, entity, object_id, key)]
            firing.pk = pk
            firing._state.adding = False
            claimed.append(firing)
        ran = []
        for firing in claimed:
            if firing.status == FiringStatus.CONDITION_ERROR:
                continue
            c = by_identity[(firing.rule_id, firing.entity, firing.object_id, firing.key)]
            firing.results = run_actions(c, firing, batch)
            ran.append(firing)
        batch.flush()  # may mark notification results as failed
        for firing in ran:
            firing.results = [actions.json_safe(r) for r in firing.results]
            ok = all(r.get("ok", True) for r in firing.results)
            firing.status = FiringStatus.DONE if ok else FiringStatus.FAILED
        save_results(ran)
        transaction.on_commit(batch.after_commit)
    return claimed


def save_results(firings: list[RuleFiring]) -> None:
    """Write each firing's results and status in one ``executemany`` round: Django's
    ``bulk_update`` builds a CASE per row, which for 10,000 firings costs more than the
    actions themselves."""
    if not firings:
        return
    meta = RuleFiring._meta
    results_field, status_field = meta.get_field("results"), meta.get_field("status")
    quote = connection.ops.quote_name
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {quote(results_field.column)} = %s, "
        f"{quote(status_field.column)} = %s WHERE {quote(meta.pk.column)} = %s"
    )
    rows = [
        (results_field.get_db_prep_save(f.results, connection), f.status, f.pk) for f in firings
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def run_actions(c: Candidate, firing, batch, *, dry_run: bool = False) -> list[dict]:
    """Run (or, with ``dry_run``, describe) a version's actions in order. A failing action
    is recorded and does not stop the others; its own writes are rolled back."""
    entity = entities.get(c.entity_key) if c.entity_key else None
    results = []
    memo: dict = {}
    with events.caused_by((*c.cause, c.rule.pk)):
        for config in c.version.actions or []:
            results.append(_run_action(c, config, entity, firing, batch, memo, dry_run))
    return results


def _run_action(c: Candidate, config: dict, entity, firing, batch, memo, dry_run) -> dict:
    kind = config.get("kind")
    action = actions.get(kind)
    ctx = actions.ActionContext(
        rule=c.rule,
        version=c.version,
        firing=firing,
        entity=entity,
        instance=c.instance,
        variables=c.variables,
        level=c.level,
        dry_run=dry_run,
        batch=batch,
        memo=memo,
    )
    try:
        if action is None:
            raise LookupError(f"unknown action {kind!r}")
        if action.writes and not dry_run:
            with transaction.atomic():
                result = action.run(config, ctx) or {}
        else:
            result = action.run(config, ctx) or {}
    except Exception as exc:  # noqa: BLE001 - recorded on the firing, shown to people
        log.exception("rule %s action %s failed", c.rule.pk, kind)
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    result["kind"] = kind
    result.setdefault("ok", True)
    return result


def _related(entity) -> list[str]:
    path = entity.owner_path
    try:
        field_ = entity.model._meta.get_field(path.split("__")[0])
    except Exception:  # noqa: BLE001 - an owner that is not a relation needs no join
        return []
    return [path] if field_.is_relation else []


def load(entity, pks) -> dict:
    return entity.model._default_manager.select_related(*_related(entity)).in_bulk(list(pks))


def fire_records(
    rule: Rule,
    entity,
    ids: list[int],
    chunk_size: int,
    *,
    variables: Callable[[Any], dict],
    key: Callable[[Any], str],
    level: int | None = None,
) -> int:
    """The loop timers and schedules share: load the records in chunks, evaluate the rule
    on each (``variables(instance)``, firing ``key(instance)``), fire the matches; returns
    how many fired. A record deleted since its id was read is skipped."""
    version = rule.current_version
    fired = 0
    for start in range(0, len(ids), chunk_size):
        chunk = ids[start : start + chunk_size]
        instances = load(entity, chunk)
        candidates = []
        for pk in chunk:
            instance = instances.get(pk)
            if instance is None:
                continue
            c = candidate_for(
                rule, version, entity.key, instance, variables(instance), key(instance), level
            )
            if c is not None:
                candidates.append(c)
        fired += len(fire(candidates))
    return fired


# --- events -------------------------------------------------------------------------------
event_rules_cache = ConfigCache("event-rules")


def active_event_rules(name: str) -> list[Rule]:
    """The active rules listening to ``name``, with their current versions.

    Read once per process and age limit (``CONFIG_CACHE_SECONDS``), not once per event:
    every domain event asks, and most events have no rule. A rule's save (a new version,
    switched on or off) invalidates the cache here at once and in other processes through
    the shared version (see core/configcache)."""

    def build():
        return list(
            Rule.objects.filter(event=name, is_active=True, trigger_type=TriggerType.EVENT)
            .select_related("current_version")
            .order_by("pk")
        )

    return event_rules_cache.get(name, build)


def forget_event_rules() -> None:
    """Drop the parsed event rules (the services call it on every rule write)."""
    event_rules_cache.invalidate()


# How many rules may trigger one another in a row through their actions' events.
MAX_RULE_CHAIN = 5


def process_event(name: str, payload: dict) -> list[RuleFiring]:
    """Fire the active rules listening to ``name`` for this event, now, in this process:
    load the record, evaluate each rule, insert the firings keyed ``event:<event_id>`` and
    run the actions of those this call inserted. The worker's task calls it; tests call it
    to process an event synchronously."""
    # A rule never fires on an event its own actions caused (it would re-trigger itself
    # through its own write), and a chain of rules triggering one another stops after
    # MAX_RULE_CHAIN links.
    cause = tuple(payload.get(events.CAUSE_KEY) or ())
    if len(cause) >= MAX_RULE_CHAIN:
        log.warning(
            "event %s: caused by a chain of %d rules %s; rules not run", name, len(cause), cause
        )
        return []
    rules = [rule for rule in active_event_rules(name) if rule.pk not in cause]
    if not rules:
        return []
    entity_key = triggers.entity_for_event(name)
    instance = None
    object_id = payload.get("id")
    if entity_key and object_id is not None and not name.endswith(".deleted"):
        entity = entities.get(entity_key)
        # A plain primary-key get, without joining the owner: an action that needs the
        # owner loads it once.
        instance = entity.model._default_manager.filter(pk=object_id).order_by().first()
        if instance is None:
            log.info("event %s: %s #%s is gone; rules not run", name, entity_key, object_id)
            return []
    # Every rule here listens to the same event: one set of variables, built as the
    # preview builds it (context.variables_for).
    variables = context.variables_for(rules[0].current_version, instance=instance, payload=payload)
    # The emitter's event id makes a re-delivered (or retried) event fire once; without
    # one each call is a new occurrence.
    key = f"event:{payload.get('event_id') or uuid.uuid4().hex}"
    candidates = []
    for rule in rules:
        version = rule.current_version
        c = candidate_for(rule, version, entity_key, instance, variables, key)
        if c is not None:
            if instance is None and isinstance(object_id, int):
                c.object_id = object_id
            c.cause = cause
            candidates.append(c)
    return fire(candidates)


# --- timers -------------------------------------------------------------------------------
# A timer rule's change-time watermark is kept as the RuleWatermark of this level (timer
# levels go up to ``triggers.MAX_LEVEL``): the instant up to which records written (created
# or changed) have been looked at for being already due when written.
CHANGES_LEVEL = 1000
# Each sweep looks again at what was written this long before the change-time watermark: a
# transaction that stamped its rows before a sweep's instant but committed after the sweep
# read is still seen. Looking twice is harmless: firings are unique rows, and the records
# that already fired are left out before their conditions are evaluated.
CHANGE_OVERLAP = dt.timedelta(minutes=5)


def _advance(rule: Rule, level: int, cutoff: dt.datetime) -> None:
    RuleWatermark.objects.bulk_create(
        [RuleWatermark(rule=rule, level=level, cutoff=cutoff)], ignore_conflicts=True
    )
    RuleWatermark.objects.filter(rule=rule, level=level, cutoff__lt=cutoff).update(cutoff=cutoff)


def timer_key(level: int, started) -> str:
    """A timer level fires once per start instant: when the start field moves (a lead is
    reassigned, a record updated) the clock starts again and may fire again. A date field
    starts at midnight in the organisation's time zone."""
    started = triggers.start_instant(started)
    stamp = started.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S") if started else "-"
    return f"timer:level:{level}:{stamp}"


def written_since(entity, since: dt.datetime):
    """The entity's records created or changed after ``since``, found through an index:
    the history table's ``history_date`` (every save and every feed/unit-of-work insert
    writes a history row), confirmed on the record's own ``updated_at`` (taken from
    ``core.clock``, as the sweep's instant is). An entity without history (activity) is
    read on its indexed ``created_at``: a new backdated record is seen, a later change
    of its start field is not."""
    model = entity.model
    manager = model._default_manager
    names = {f.name for f in model._meta.concrete_fields}
    history = getattr(model._meta, "simple_history_manager_attribute", None)
    if history and "updated_at" in names:
        pk = model._meta.pk.attname
        rows = getattr(model, history).model._default_manager.filter(history_date__gt=since)
        return manager.filter(pk__in=rows.values(pk), updated_at__gt=since)
    return manager.filter(created_at__gt=since)


def run_timer_rule(rule: Rule, now: dt.datetime, *, chunk_size: int | None = None) -> dict:
    """One timer rule's due records, with per-sweep memos for the condition variables."""
    with entities.variable_batch():
        return _run_timer_rule(rule, now, chunk_size=chunk_size)


def _run_timer_rule(rule: Rule, now: dt.datetime, *, chunk_size: int | None = None) -> dict:
    """Fire a timer rule for every record whose level fell due since the last sweep, and
    for every record written since the last sweep that was already due when written.

    Per level one range query on the start field: ``(previous cutoff, new cutoff]`` where
    a cutoff is the latest start instant that is due (see :func:`triggers.due_cutoff`).
    That range never comes back to a start instant it has passed, so a record written
    with its start already behind the cutoff (a task created overdue, a payment the feed
    brings with last month's date, a start field moved into the past) is found by a
    second, change-time watermark: the records written after it (:func:`written_since`,
    minus :data:`CHANGE_OVERLAP`) whose start is at or before the cutoff. Both reads
    cost what was due or written since the last sweep, not the table."""
    version = rule.current_version
    trigger = version.trigger
    entity = entities.get(version.entity)
    manager = entity.model._default_manager
    start_field = trigger["field"]
    cal = default_calendar()
    chunk_size = chunk_size or CHUNK_SIZE
    marks = dict(RuleWatermark.objects.filter(rule=rule).values_list("level", "cutoff"))
    stats = {"due": 0, "fired": 0}
    levels = []
    for level in triggers.timer_levels(trigger):
        minutes = triggers.level_minutes(trigger, level)
        new = triggers.due_cutoff(now, minutes, trigger["unit"], cal)
        previous = marks.get(level) or triggers.due_cutoff(
            rule.watch_from, minutes, trigger["unit"], cal
        )
        levels.append((level, previous, new))
    # Written since the change-time watermark, already behind a level's cutoff.
    since = max((marks.get(CHANGES_LEVEL) or rule.watch_from) - CHANGE_OVERLAP, rule.watch_from)
    behind = max(min(previous, new) for _, previous, new in levels)
    late = [
        (pk, triggers.start_instant(start))
        for pk, start in written_since(entity, since)
        .filter(**{f"{start_field}__lte": behind})
        .order_by(start_field, "pk")
        .values_list("pk", start_field)
    ]
    for level, previous, new in levels:
        ids = []
        if new > previous:
            ids = list(
                manager.filter(**{f"{start_field}__gt": previous, f"{start_field}__lte": new})
                .order_by(start_field, "pk")
                .values_list("pk", flat=True)
            )
        cut = min(previous, new)
        regular = set(ids)
        fresh = _not_fired(rule, entity, level, [(pk, s) for pk, s in late if s <= cut])
        ids += [pk for pk in fresh if pk not in regular]
        stats["due"] += len(ids)
        stats["fired"] += fire_records(
            rule,
            entity,
            ids,
            chunk_size,
            variables=lambda instance, level=level: context.variables_for(
                version, instance=instance, level=level
            ),
            key=lambda instance, level=level: timer_key(level, getattr(instance, start_field)),
            level=level,
        )
        if new > previous:
            _advance(rule, level, new)
    # The sweep's instant, or the real one when ``tick --now`` runs ahead of it: records
    # written from now on carry a later stamp.
    _advance(rule, CHANGES_LEVEL, min(now, clock.system_now()))
    return stats


def _not_fired(rule: Rule, entity, level: int, late: list[tuple[int, dt.datetime]]) -> list[int]:
    """The late records this level has not fired for at their current start instant: a
    record looked at again (changed in another way, or inside the overlap) is left out
    before its condition is evaluated."""
    if not late:
        return []
    fired = set()
    for start in range(0, len(late), CHUNK_SIZE):
        chunk = late[start : start + CHUNK_SIZE]
        fired |= set(
            RuleFiring.objects.filter(
                rule=rule,
                entity=entity.key,
                object_id__in=[pk for pk, _ in chunk],
                key__startswith=f"timer:level:{level}:",
            ).values_list("object_id", "key")
        )
    return [pk for pk, s in late if (pk, timer_key(level, s)) not in fired]


def _run_active(trigger_type: str, run_one: Callable, totals: dict) -> dict:
    """Run ``run_one(rule) -> {stat: n}`` for every active rule of ``trigger_type`` and add
    up the stats; one failing rule is logged and counted, the others run."""
    rules = Rule.objects.filter(is_active=True, trigger_type=trigger_type)
    for rule in rules.select_related("current_version"):
        totals["rules"] += 1
        try:
            stats = run_one(rule)
        except Exception:  # noqa: BLE001 - logged and counted in the sweep's summary
            log.exception("%s rule %s failed", trigger_type, rule.pk)
            totals["failed"] += 1
            continue
        for name, n in stats.items():
            totals[name] += n
    return totals


def run_timers(now: dt.datetime) -> dict:
    """Every active timer rule; one failing rule is logged and counted, the others run."""
    totals = {"rules": 0, "due": 0, "fired": 0, "failed": 0}
    return _run_active(TriggerType.TIMER, lambda rule: run_timer_rule(rule, now), totals)


# --- schedules ----------------------------------------------------------------------------
def run_schedule_rule(rule: Rule, now: dt.datetime, *, chunk_size: int | None = None) -> int:
    """One schedule rule's instant, with per-sweep memos for the condition variables."""
    with entities.variable_batch():
        return _run_schedule_rule(rule, now, chunk_size=chunk_size)


def _run_schedule_rule(rule: Rule, now: dt.datetime, *, chunk_size: int | None = None) -> int:
    """Fire a schedule rule for its latest instant at or before ``now`` (once). Instants
    missed while no worker ran are not replayed: only the latest one fires, late."""
    version = rule.current_version
    instant = triggers.latest_instant(version.trigger, now)
    if instant is None or instant < rule.watch_from.replace(second=0, microsecond=0):
        return 0
    mark = RuleWatermark.objects.filter(rule=rule, level=0).values_list("cutoff", flat=True)
    if mark and mark[0] >= instant:
        return 0
    key = triggers.schedule_key(instant)
    chunk_size = chunk_size or CHUNK_SIZE
    if not version.entity:
        c = candidate_for(
            rule, version, "", None, context.variables_for(version, instant=instant), key
        )
        fired = len(fire([c] if c else []))
    else:
        entity = entities.get(version.entity)
        ids = list(entity.model._default_manager.order_by("pk").values_list("pk", flat=True))
        fired = fire_records(
            rule,
            entity,
            ids,
            chunk_size,
            variables=lambda instance: context.variables_for(
                version, instance=instance, instant=instant
            ),
            key=lambda instance: key,
        )
    _advance(rule, 0, instant)
    return fired


def run_schedules(now: dt.datetime) -> dict:
    """Every active schedule rule; one failing rule is logged and counted."""
    totals = {"rules": 0, "fired": 0, "failed": 0}
    return _run_active(
        TriggerType.SCHEDULE, lambda rule: {"fired": run_schedule_rule(rule, now)}, totals
    )
