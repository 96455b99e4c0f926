"""Reads of the outcome snapshots: latest values and trends by metric and scope, and the
scopes a user may see (the board, the director's home, the API and the diagnosis).

Nothing here computes a metric from the records; everything reads
:class:`~salesops.outcomes.models.OutcomeSnapshot` (one indexed range per scope)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Max

from salesops.core.visibility import visible_owner_ids
from salesops.org.models import Team, User

from . import metrics, quality
from .metrics import Scope
from .models import BackfillRun, OutcomePolicy, OutcomeSnapshot, ScopeKind
from .services import BACKFILL_WEEKS_BEFORE

HEADLINE = ("followup_cycle", "first_response_sla", "forecast_accuracy", "daily_active")


def latest_backfill() -> BackfillRun | None:
    """The last backfill started (running, or the result Settings · Outcomes shows)."""
    return BackfillRun.objects.select_related("created_by").order_by("-created_at", "-id").first()


def latest_week(scope: Scope | None = None) -> dt.date | None:
    rows = OutcomeSnapshot.objects.all()
    if scope is not None:
        rows = rows.filter(scope_kind=scope.kind, scope_id=scope.id)
    return rows.aggregate(week=Max("week_start"))["week"]


def latest(code: str, scope: Scope) -> OutcomeSnapshot | None:
    """The newest snapshot of ``code`` for ``scope``."""
    return (
        OutcomeSnapshot.objects.filter(metric=code, scope_kind=scope.kind, scope_id=scope.id)
        .order_by("-week_start")
        .first()
    )


def latest_values(scope: Scope, codes=None) -> dict[str, OutcomeSnapshot]:
    """Every metric's (or ``codes``') newest snapshot for ``scope``, by code."""
    week = latest_week(scope)
    if week is None:
        return {}
    rows = OutcomeSnapshot.objects.filter(scope_kind=scope.kind, scope_id=scope.id, week_start=week)
    if codes is not None:
        rows = rows.filter(metric__in=list(codes))
    return {row.metric: row for row in rows}


def trend_start(policy: OutcomePolicy | None = None) -> dt.date | None:
    """Where trends start: a few weeks before go-live (earlier history, for contrast)."""
    policy = policy or OutcomePolicy.current()
    if policy.go_live_on is None:
        return None
    return policy.go_live_on - dt.timedelta(weeks=min(8, BACKFILL_WEEKS_BEFORE))


def series(scope: Scope, codes=None, since: dt.date | None = None) -> dict[str, list]:
    """``{code: [(week_start, value), …]}`` oldest first, for ``scope``."""
    rows = OutcomeSnapshot.objects.filter(scope_kind=scope.kind, scope_id=scope.id)
    if codes is not None:
        rows = rows.filter(metric__in=list(codes))
    if since is not None:
        rows = rows.filter(week_start__gte=since)
    result: dict = defaultdict(list)
    for code, week, value in rows.order_by("week_start").values_list(
        "metric", "week_start", "value"
    ):
        result[code].append((week, value))
    return dict(result)


# --- who sees what -----------------------------------------------------------------


def visible_teams(user) -> list[Team]:
    """Teams whose figures ``user`` sees: all for those who see everything, a manager's
    managed subtrees, none for a rep."""
    if not user.is_authenticated or not user.is_active:
        return []
    if user.sees_everything:
        return list(Team.objects.order_by("path"))
    if user.is_manager_role:
        paths = list(Team.objects.filter(manager=user).values_list("path", flat=True))
        teams = {}
        for path in paths:
            for team in Team.objects.filter(path__startswith=path):
                teams[team.pk] = team
        return sorted(teams.values(), key=lambda t: t.path)
    return []


def visible_reps(user):
    """The users whose own figures ``user`` sees (visibility rules of the records)."""
    ids = visible_owner_ids(user)
    users = User.objects.filter(is_active=True)
    return users if ids is None else users.filter(pk__in=ids)


def may_see(user, scope: Scope) -> bool:
    if scope.kind == ScopeKind.ORG:
        return bool(user.is_authenticated and user.is_active and user.sees_everything)
    if scope.kind == ScopeKind.TEAM:
        return any(team.pk == scope.id for team in visible_teams(user))
    return visible_reps(user).filter(pk=scope.id).exists()


def home_scope(user) -> Scope:
    """The scope a user's board opens on: the organisation for those who see everything,
    the (top) team a manager manages, otherwise the user's own figures."""
    if user.sees_everything:
        return Scope.org()
    teams = visible_teams(user)
    if teams:
        return Scope.team(teams[0].pk)
    return Scope.rep(user.pk)


def scope_label(scope: Scope) -> str:
    if scope.kind == ScopeKind.ORG:
        return str(ScopeKind.ORG.label)
    if scope.kind == ScopeKind.TEAM:
        team = Team.objects.filter(pk=scope.id).first()
        return team.name if team else str(scope.id)
    user = User.objects.filter(pk=scope.id).first()
    return user.label if user else str(scope.id)


@dataclass
class Card:
    metric: metrics.Metric
    current: OutcomeSnapshot | None
    previous: OutcomeSnapshot | None
    baseline: OutcomeSnapshot | None  # the first week on or after go-live
    points: list

    @property
    def direction(self) -> str:
        """ "up", "down" or "" (no change or nothing to compare)."""
        if not self.current or not self.previous:
            return ""
        a, b = self.previous.value, self.current.value
        if a is None or b is None or a == b:
            return ""
        return "up" if b > a else "down"

    @property
    def good(self) -> bool | None:
        if not self.direction:
            return None
        return self.direction == self.metric.better

    @property
    def since_go_live(self) -> float | None:
        if not self.current or not self.baseline:
            return None
        if self.current.value is None or self.baseline.value is None:
            return None
        return round(self.current.value - self.baseline.value, 2)


def cards(scope: Scope, codes=None, policy: OutcomePolicy | None = None) -> list[Card]:
    """One card per metric for ``scope``: newest, previous and go-live values and the
    trend since go-live (two queries in all)."""
    policy = policy or OutcomePolicy.current()
    chosen = [m for m in metrics.METRICS if codes is None or m.code in codes]
    trend = series(scope, [m.code for m in chosen], trend_start(policy))
    result = []
    rows = OutcomeSnapshot.objects.filter(
        scope_kind=scope.kind, scope_id=scope.id, metric__in=[m.code for m in chosen]
    )
    last_two: dict = defaultdict(list)
    baseline = {}
    week = latest_week(scope)
    if week is not None:
        for row in rows.filter(week_start__gte=week - dt.timedelta(days=7)).order_by("-week_start"):
            last_two[row.metric].append(row)
    if policy.go_live_on:
        for row in rows.filter(week_start__gte=policy.go_live_on).order_by("week_start"):
            baseline.setdefault(row.metric, row)
    for metric in chosen:
        pair = last_two.get(metric.code, [])
        result.append(
            Card(
                metric=metric,
                current=pair[0] if pair else None,
                previous=pair[1] if len(pair) > 1 else None,
                baseline=baseline.get(metric.code),
                points=trend.get(metric.code, []),
            )
        )
    return result


def table(user, code: str, week: dt.date | None) -> tuple[list, list]:
    """The rows of ``code`` for ``week``: the teams and the reps ``user`` sees, each
    ``(name, snapshot)``; teams by tree order, reps by name."""
    if week is None:
        return [], []
    rows = OutcomeSnapshot.objects.filter(metric=code, week_start=week)
    teams = visible_teams(user)
    team_rows = {
        r.scope_id: r
        for r in rows.filter(scope_kind=ScopeKind.TEAM, scope_id__in=[t.pk for t in teams])
    }
    reps = {u.pk: u for u in visible_reps(user)}
    rep_rows = {
        r.scope_id: r for r in rows.filter(scope_kind=ScopeKind.REP, scope_id__in=list(reps))
    }
    return (
        [(team, team_rows[team.pk]) for team in teams if team.pk in team_rows],
        sorted(((reps[pk], row) for pk, row in rep_rows.items()), key=lambda p: p[0].label),
    )


# --- the over-collection guard, from the snapshots -----------------------------------


@dataclass
class FieldRow:
    entity: str
    field: str
    label: str
    total: int
    placeholders: int
    copied: int

    @property
    def entity_label(self) -> str:
        return str(quality.ENTITIES[self.entity][2])

    @property
    def share(self) -> float | None:
        return (
            round(100 * (self.placeholders + self.copied) / self.total, 1) if self.total else None
        )


def placeholder_rows(snapshot: OutcomeSnapshot | None) -> list[FieldRow]:
    """The fields of a ``placeholder_share`` snapshot's detail, worst first."""
    if snapshot is None:
        return []
    counts: dict = defaultdict(dict)
    for key, value in (snapshot.detail or {}).items():
        name, _sep, part = key.rpartition(":")
        counts[name][part] = int(value)
    rows = []
    for name, parts in counts.items():
        entity, _dot, field = name.partition(".")
        if entity not in quality.ENTITIES:
            continue
        label = quality.field_names(entity).get(field, field)
        rows.append(
            FieldRow(
                entity,
                field,
                label,
                parts.get("total", 0),
                parts.get("placeholders", 0),
                parts.get("copied", 0),
            )
        )
    rows.sort(key=lambda r: -(r.share or 0))
    return rows


def placeholder_reps(user, week: dt.date | None, limit: int = 10) -> list[tuple]:
    """The visible reps with the largest share of placeholder or copied values in
    ``week``: ``(user, snapshot)``, worst first."""
    if week is None:
        return []
    reps = {u.pk: u for u in visible_reps(user)}
    rows = OutcomeSnapshot.objects.filter(
        metric="placeholder_share",
        week_start=week,
        scope_kind=ScopeKind.REP,
        scope_id__in=list(reps),
        denominator__gt=0,
    ).order_by("-value", "scope_id")[:limit]
    return [(reps[row.scope_id], row) for row in rows]
