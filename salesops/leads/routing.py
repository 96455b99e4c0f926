"""Lead routing (SPEC L5): rules in priority order → a team or a set of reps → one rep by
round robin, least loaded (fewest open leads) or weight, within daily caps.

Two halves:

* :func:`decide` is pure: given a :class:`Snapshot` (compiled rules, who is eligible,
  caps) and today's counts it returns the matching rule and the candidates in order,
  with the reason in words (P4). It is what the "test a rule" page runs and what
  bench/intake.py times.
* :func:`assign` does it for real: it takes a slot on the first candidate with one
  conditional ``UPDATE daily_count SET count = count + 1 WHERE count < cap``. Two
  concurrent intakes can both pick the same rep; only one wins the last slot and the
  other moves on to the next candidate, so no rep ever goes over the cap.

A lead is decided once (:func:`plan`, on its final fields, inside the intake's
transaction); a retry after a lost cap race takes a slot from the same decision's
candidates, then continues the same walk over the later rules.

The snapshot (rules, team members, leave) is cached per process for
``ROUTING_CACHE_SECONDS`` in a ``core.configcache.ConfigCache`` and dropped at once when a
rule changes (its version number in the cache, shared between processes when the cache
is Redis). So are today's counts and
the reps' open loads (:class:`Tally`): this process adds its own assignments to them as
it makes them, and reads them again from the database when they are older than the age
limit or when a slot it picked turned out to be taken. They only order the candidates;
the cap itself is always the database's conditional ``UPDATE``.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Count, F
from django.utils import translation
from django.utils.translation import gettext as _

from salesops.core import clock, entities, orgsettings
from salesops.core.configcache import ConfigCache
from salesops.core.expressions import (
    Expression,
    ExpressionError,
    compile_expression,
    excludes,
    prepare,
)
from salesops.org import selectors as org_selectors
from salesops.org.models import Role, Team, User

from .models import OPEN_STATUSES, DailyLeadCount, Lead, RoutingRule, Strategy


@dataclass
class RuleSpec:
    id: int
    name: str
    priority: int
    strategy: str
    expression: Expression | None
    members: list[int]  # candidate user ids, ascending
    weights: dict[int, int]
    team_id: int | None
    cursor: int = 0


USER_FIELDS = ("id", "team_id", "role", "daily_lead_cap", "display_name", "username")
USER_NAME_FIELDS = ("first_name", "last_name")


def _loaded_fields() -> list[str]:
    """The snapshot's user fields in the model's column order (as ``from_db`` takes them)."""
    wanted = set(USER_FIELDS + USER_NAME_FIELDS)
    return [f.attname for f in User._meta.concrete_fields if f.attname in wanted]


@dataclass
class Snapshot:
    rules: list[RuleSpec]
    eligible: set[int]  # active, not on leave today
    caps: dict[int, int]
    names: dict[int, str]
    day: dt.date
    # The loaded fields of each active user, to hand out the owner without a query.
    rows: dict[int, tuple] = field(default_factory=dict)

    def user(self, user_id: int):
        """The user as a model instance with the snapshot's fields loaded (the others
        are deferred and load on first use)."""
        row = self.rows.get(user_id)
        if row is None:
            return User.objects.get(pk=user_id)
        return User.from_db("default", _loaded_fields(), row)


@dataclass
class Decision:
    rule: RuleSpec | None
    candidates: list[int]
    strategy: str = ""
    reason: str = ""
    skipped: list[str] = field(default_factory=list)
    snapshot: Snapshot | None = field(default=None, repr=False)
    # The first rule that matched but had nobody under the cap (or at work): a lead no
    # rule placed waits in that rule's team's pool, for its manager to see and hand out.
    overflow: RuleSpec | None = None
    # Where the walk over the rules stopped (the index of ``rule``) and the prepared
    # variables it evaluated: a retry after a lost cap race continues the same walk.
    position: int = -1
    variables: dict = field(default_factory=dict, repr=False)

    @property
    def placed(self) -> bool:
        return bool(self.candidates)

    def pool_team_id(self) -> int | None:
        """The team whose pool takes the lead when nobody got it: the overflowing rule's
        team, else the team of its first listed rep."""
        spec = self.overflow
        if spec is None:
            return None
        if spec.team_id:
            return spec.team_id
        rows = self.snapshot.rows if self.snapshot is not None else {}
        for user_id in spec.members:
            row = rows.get(user_id)
            if row is not None:
                return row[_loaded_fields().index("team_id")]
        return None

    def owner(self, user_id: int):
        """The chosen rep as a user instance (from the snapshot: no query)."""
        if self.snapshot is None:
            return User.objects.get(pk=user_id)
        return self.snapshot.user(user_id)


# --- the snapshot ---------------------------------------------------------------------------
def _default_cap() -> int:
    return orgsettings.current().default_daily_lead_cap


def build_snapshot(day: dt.date | None = None, rules=None) -> Snapshot:
    """Read the active rules, their reps and today's leave (four queries)."""
    day = day or clock.today()
    if rules is None:
        rules = list(
            RoutingRule.objects.filter(is_active=True)
            .select_related("team")
            .prefetch_related("members")
            .order_by("priority", "id")
        )
    names = entities.get("lead").variable_names()
    teams = {t.pk: t.path for t in Team.objects.only("id", "path")}
    users = list(User.objects.filter(is_active=True).only(*USER_FIELDS, *USER_NAME_FIELDS))
    team_path = {u.pk: teams.get(u.team_id, "") for u in users}
    on_leave = org_selectors.users_on_leave(day)
    specs = []
    for rule in rules:
        members = list(rule.members.all())
        if members:
            ids = sorted(m.user_id for m in members)
            weights = {m.user_id: max(1, m.weight) for m in members}
        elif rule.team_id:
            path = rule.team.path
            ids = sorted(
                u.pk
                for u in users
                if u.role == Role.REP and team_path.get(u.pk, "").startswith(path)
            )
            weights = {}
        else:
            ids, weights = [], {}
        try:
            expression = compile_expression(rule.condition, names) if rule.condition else None
        except ExpressionError:
            continue  # saved before a field it reads was removed: never matches
        specs.append(
            RuleSpec(
                id=rule.pk,
                name=rule.name,
                priority=rule.priority,
                strategy=rule.strategy,
                expression=expression,
                members=ids,
                weights=weights,
                team_id=rule.team_id,
                cursor=rule.cursor,
            )
        )
    active = {u.pk for u in users}
    return Snapshot(
        rules=specs,
        eligible=active - on_leave,
        caps={
            u.pk: _default_cap() if u.daily_lead_cap is None else u.daily_lead_cap for u in users
        },
        names={u.pk: u.label for u in users},
        day=day,
        rows={u.pk: tuple(getattr(u, f) for f in _loaded_fields()) for u in users},
    )


# The snapshot, per day, in the one configuration cache: dropped at once in this process
# and, through the shared version, in every process when a rule or its reps change
# (``invalidate`` from the services, ``invalidate_on`` in LeadsConfig.ready).
snapshot_cache = ConfigCache("routing-snapshot", ttl_setting="ROUTING_CACHE_SECONDS")


def invalidate() -> None:
    """Called by every change to routing rules: all processes rebuild their snapshot."""
    snapshot_cache.invalidate()


def current_snapshot() -> Snapshot:
    today = clock.today()
    return snapshot_cache.get(today, lambda: build_snapshot(today), only_key=True)


# --- deciding -------------------------------------------------------------------------------
def _rotate(ids: list[int], cursor: int) -> list[int]:
    """Round-robin order: the reps after the last one served (``cursor`` is their id),
    then from the start. Robust to reps leaving or filling up between turns."""
    ids = sorted(ids)
    split = bisect.bisect_right(ids, cursor)  # the first id above the cursor
    return ids[split:] + ids[:split]


def order_candidates(spec: RuleSpec, ids: list[int], counts: dict, loads) -> list[int]:
    rotated = _rotate(ids, spec.cursor)
    if spec.strategy == Strategy.LEAST_LOADED:
        load = loads(ids) if callable(loads) else (loads or {})
        position = {u: i for i, u in enumerate(rotated)}
        return sorted(ids, key=lambda u: (load.get(u, 0), position[u]))
    if spec.strategy == Strategy.WEIGHTED:
        position = {u: i for i, u in enumerate(rotated)}
        return sorted(
            ids,
            key=lambda u: ((counts.get(u, 0) + 1) / spec.weights.get(u, 1), position[u]),
        )
    return rotated


def decide(snapshot: Snapshot, variables: dict, counts: dict, loads=None) -> Decision:
    """The first rule whose condition holds and that has a rep under their cap."""
    decision = Decision(None, [], snapshot=snapshot, variables=prepare(variables))
    _walk(decision, 0, counts, loads)
    return decision


# Reasons already written, by everything they say (a batch of thousands of leads meets
# the same few): translating and formatting one costs more than the rest of the walk.
_reasons: dict[tuple, str] = {}


def _matched_reason(spec, n: int) -> str:
    key = (spec.name, spec.priority, spec.strategy, n, translation.get_language())
    reason = _reasons.get(key)
    if reason is None:
        if len(_reasons) > 4096:
            _reasons.clear()
        reason = _reasons[key] = _(
            "Rule “%(rule)s” (priority %(priority)d) matched; %(strategy)s among %(n)d rep(s) under their daily cap."
        ) % {
            "rule": spec.name,
            "priority": spec.priority,
            "strategy": Strategy(spec.strategy).label,
            "n": n,
        }
    return reason


def _walk(decision: Decision, start: int, counts: dict, loads) -> None:
    """Try the snapshot's rules from ``start`` on and fill ``decision`` with the first
    that can place the lead (or with the pool's reason when none can)."""
    snapshot = decision.snapshot
    skipped = decision.skipped
    for index in range(start, len(snapshot.rules)):
        spec = snapshot.rules[index]
        if spec.expression is not None:
            if excludes(spec.expression, decision.variables):
                continue  # false at its first comparison: what evaluating it would say
            try:
                matched = bool(spec.expression.evaluate(decision.variables))
            except ExpressionError as exc:
                skipped.append(
                    _("“%(rule)s”: condition failed (%(error)s)")
                    % {"rule": spec.name, "error": exc.message}
                )
                continue
            if not matched:
                continue
        available = [u for u in spec.members if u in snapshot.eligible]
        if not available:
            skipped.append(
                _("“%(rule)s” matched, but none of its reps is active and at work today.")
                % {"rule": spec.name}
            )
            decision.overflow = decision.overflow or spec
            continue
        under = [u for u in available if counts.get(u, 0) < snapshot.caps.get(u, 0)]
        if not under:
            _skip_full(decision, spec)
            continue
        decision.rule, decision.position = spec, index
        decision.candidates = order_candidates(spec, under, counts, loads)
        decision.strategy = spec.strategy
        decision.reason = _matched_reason(spec, len(under))
        return
    decision.rule, decision.candidates, decision.strategy = None, [], ""
    decision.position = len(snapshot.rules)
    decision.reason = _("No routing rule could place this lead.")
    if skipped:
        decision.reason += " " + " ".join(skipped)


def _skip_full(decision: Decision, spec: RuleSpec) -> None:
    decision.skipped.append(
        _("“%(rule)s” matched, but all its reps reached their daily cap.") % {"rule": spec.name}
    )
    decision.overflow = decision.overflow or spec


# --- assigning ------------------------------------------------------------------------------
def counts_today(day: dt.date, user_ids=None) -> dict[int, int]:
    qs = DailyLeadCount.objects.filter(day=day)
    if user_ids is not None:
        qs = qs.filter(user_id__in=user_ids)
    return dict(qs.values_list("user_id", "count"))


def open_loads(user_ids) -> dict[int, int]:
    rows = (
        Lead.objects.filter(owner_id__in=user_ids, status__in=OPEN_STATUSES)
        .values("owner_id")
        .annotate(n=Count("id"))
        .values_list("owner_id", "n")
    )
    return dict(rows)


@functools.lru_cache(maxsize=4)
def _increment_sql(vendor: str) -> str:
    """``UPDATE … SET count = count + 1 WHERE user, day and count < cap``, written once per database (``vendor`` is the cache key):
    every routed lead runs it inside the write transaction, where building the ORM
    query cost several times the statement."""
    quote = connection.ops.quote_name
    meta = DailyLeadCount._meta
    count = quote(meta.get_field("count").column)
    return (
        f"UPDATE {quote(meta.db_table)} SET {count} = {count} + 1 "
        f"WHERE {quote(meta.get_field('user').column)} = %s "
        f"AND {quote(meta.get_field('day').column)} = %s AND {count} < %s"
    )


@functools.lru_cache(maxsize=4)
def _cursor_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    meta = RoutingRule._meta
    return (
        f"UPDATE {quote(meta.db_table)} SET {quote(meta.get_field('cursor').column)} = %s "
        f"WHERE {quote(meta.pk.column)} = %s"
    )


def _move_cursor(rule_id: int, user_id: int) -> None:
    """Remember the last rep served by a rule (the round-robin position; the tie-break of
    the other strategies), in plain SQL for the same reason as :func:`_increment_sql`."""
    with connection.cursor() as cursor:
        cursor.execute(_cursor_sql(connection.vendor), [user_id, rule_id])


def _increment(user_id: int, day: dt.date, cap: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            _increment_sql(connection.vendor),
            [user_id, connection.ops.adapt_datefield_value(day), cap],
        )
        return cursor.rowcount > 0


@functools.lru_cache(maxsize=4)
def _slot_and_cursor_sql(vendor: str) -> str:
    """PostgreSQL: the slot and the rule's cursor in one statement (one round trip); the
    cursor moves only when the slot was taken."""
    quote = connection.ops.quote_name
    meta = RoutingRule._meta
    cursor_sql = _cursor_sql(vendor)
    return (
        f"WITH slot AS ({_increment_sql(vendor)} RETURNING 1), "
        f"moved AS ({cursor_sql} AND EXISTS (SELECT 1 FROM slot) "
        f"RETURNING {quote(meta.pk.column)}) "
        "SELECT (SELECT count(*) FROM slot), (SELECT count(*) FROM moved)"
    )


def _take_slot_and_move(rule_id: int, user_id: int, day: dt.date, cap: int) -> bool:
    """:func:`take_slot` and then :func:`_move_cursor`, in one statement where it can be."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                _slot_and_cursor_sql(connection.vendor), [user_id, day, cap, user_id, rule_id]
            )
            if cursor.fetchone()[0]:
                return True
        tried = True  # no room, or no row for the day yet (take_slot creates it)
    else:
        tried = False
    if take_slot(user_id, day, cap, tried=tried):
        _move_cursor(rule_id, user_id)
        return True
    return False


def take_slot(user_id: int, day: dt.date, cap: int, *, tried: bool = False) -> bool:
    """Count one more lead for the rep today unless that would pass ``cap``. Atomic.
    ``tried``: the caller's own increment just found no room (or no row for the day)."""
    if not tried and _increment(user_id, day, cap):
        return True
    if cap <= 0 or DailyLeadCount.objects.filter(user_id=user_id, day=day).exists():
        return False
    DailyLeadCount.objects.bulk_create(
        [DailyLeadCount(user_id=user_id, day=day, count=0)], ignore_conflicts=True
    )
    return _increment(user_id, day, cap)


def release_slot(user_id: int, day: dt.date) -> None:
    DailyLeadCount.objects.filter(user_id=user_id, day=day, count__gt=0).update(
        count=F("count") - 1
    )


class Tally:
    """Today's lead counts and the reps' open loads as this process last read them, plus
    what it assigned since (see the module docstring)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.day: dt.date | None = None
        self.read_at = 0.0
        self.counts: dict[int, int] = {}
        self.loads: dict[int, int] = {}
        self.loads_known: set[int] = set()

    def fresh(self, day: dt.date) -> bool:
        ttl = float(settings.SALESOPS.get("ROUTING_CACHE_SECONDS", 0))
        return ttl > 0 and self.day == day and time.monotonic() - self.read_at < ttl

    def refresh(self, day: dt.date) -> None:
        counts = counts_today(day)
        with self.lock:
            self.day, self.read_at, self.counts = day, time.monotonic(), counts
            self.loads, self.loads_known = {}, set()

    def current_counts(self, day: dt.date) -> dict[int, int]:
        if not self.fresh(day):
            self.refresh(day)
        return self.counts

    def current_loads(self, user_ids) -> dict[int, int]:
        missing = [u for u in user_ids if u not in self.loads_known]
        if missing:
            read = open_loads(missing)
            with self.lock:
                for u in missing:
                    self.loads[u] = read.get(u, 0)
                self.loads_known.update(missing)
        return self.loads

    def assigned(self, user_id: int) -> None:
        with self.lock:
            self.counts = {**self.counts, user_id: self.counts.get(user_id, 0) + 1}
            if user_id in self.loads_known:
                self.loads[user_id] = self.loads.get(user_id, 0) + 1


_tally = Tally()


def prepare_counts() -> tuple[Snapshot, dict[int, int]]:
    """The cached snapshot and today's counts: no query while they are fresh. Read them
    before the intake's write transaction (on SQLite it holds the one write lock), so
    that :func:`plan` inside it runs on memory only."""
    snapshot = current_snapshot()
    return snapshot, _tally.current_counts(snapshot.day)


def plan(variables: dict, prepared: tuple[Snapshot, dict[int, int]] | None = None) -> Decision:
    """The routing decision for a lead — made once per lead, on its final fields;
    :func:`assign` then takes the slot."""
    snapshot, counts = prepared or prepare_counts()
    return decide(snapshot, variables, counts, loads=_tally.current_loads)


def assign(decision: Decision) -> int | None:
    """Take a slot on the first candidate of ``decision`` that still has one: the user
    id, or ``None`` for the pool. When every candidate of the chosen rule filled up
    meanwhile (another process took the last slots, this process's counts were stale),
    the same decision goes on to the next rules, on counts read afresh: the lead is not
    decided again. Must run inside the intake's transaction."""
    snapshot = decision.snapshot or current_snapshot()
    while decision.placed:
        spec = decision.rule
        if spec.strategy == Strategy.ROUND_ROBIN and not _tally.fresh(snapshot.day):
            # Without caching, read where the rotation stands (another process may have
            # moved it); with caching, this process's own position is close enough.
            fresh = RoutingRule.objects.filter(pk=spec.id).values_list("cursor", flat=True)
            spec.cursor = next(iter(fresh), spec.cursor)
            decision.candidates = _rotate(decision.candidates, spec.cursor)
        for user_id in decision.candidates:
            if _take_slot_and_move(spec.id, user_id, snapshot.day, snapshot.caps.get(user_id, 0)):
                spec.cursor = user_id
                _tally.assigned(user_id)
                return user_id
        _tally.refresh(snapshot.day)
        _skip_full(decision, spec)
        _walk(decision, decision.position + 1, _tally.counts, _tally.current_loads)
    return None
