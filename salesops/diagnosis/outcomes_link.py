"""The outcome board's measures the diagnosis reads (salesops.outcomes, one layer below):
record completeness, active use and the over-collection guard.

The diagnosis's :class:`~salesops.diagnosis.scope.Scope` (visibility already applied) is
mapped onto the board's scope; the diagnosis window (instants) onto the board's local
dates ``[start, end)``, today included. Completeness and active use are computed from the
records at the time of the run (a run is stored); the guard is read from the board's
latest weekly snapshot, as the board shows it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from salesops.outcomes import metrics
from salesops.outcomes import selectors as board

Answer = tuple[Decimal, float | None, float | None] | None


def board_scope(scope) -> metrics.Scope:
    if scope is None or scope.kind == "org":
        return metrics.Scope.org()
    if scope.kind == "team":
        return metrics.Scope.team(scope.team.pk)
    return metrics.Scope.rep(scope.rep.pk)


def _dates(start: dt.datetime, end: dt.datetime) -> tuple[dt.date, dt.date]:
    return timezone.localdate(start), timezone.localdate(end) + dt.timedelta(days=1)


def _answer(measured: metrics.MetricValue) -> Answer:
    if measured.value is None:
        return None
    return Decimal(str(measured.value)), measured.numerator, measured.denominator


def completeness(scope, start: dt.datetime, end: dt.datetime) -> Answer:
    """Share of required and recommended fields filled in the records created in the
    window (the board's ``completeness``); ``None`` when none were created."""
    return _answer(metrics.record_completeness(board_scope(scope), *_dates(start, end)))


def active_use(scope, start: dt.datetime, end: dt.datetime) -> Answer:
    """Daily active users among licensed users over the window (the board's
    ``daily_active``); ``None`` when the scope has no licensed user."""
    return _answer(metrics.daily_active_users(board_scope(scope), *_dates(start, end)))


def placeholder_guard(scope, user) -> dict:
    """The over-collection guard of the board's latest week for ``scope``: the fields
    worst first and, among the reps ``user`` may see, those with the most placeholder or
    copied values."""
    snapshot = board.latest("placeholder_share", board_scope(scope))
    week = snapshot.week_start if snapshot else None
    reps = board.placeholder_reps(user, week) if week else []
    if scope is not None and scope.kind != "org" and scope.owner_ids is not None:
        reps = [r for r in reps if r[0].pk in scope.owner_ids]
    return {
        "snapshot": snapshot,
        "week": week,
        "fields": board.placeholder_rows(snapshot),
        "reps": reps,
    }


def per_user(scope, start: dt.datetime, end: dt.datetime) -> dict[int, dict]:
    """Per licensed user of ``scope``: active use (working days seen ÷ working days) and
    the completeness of the records they own created in the window, in percent
    (``None`` where there is nothing to measure) — the records behind the check."""
    owner_ids = board_scope(scope).owner_ids()
    first, last = _dates(start, end)
    active = metrics.compute_parts("daily_active", first, last, owner_ids)
    filled = metrics.compute_parts("completeness", first, last, owner_ids)

    def share(part):
        return round(100 * part.num / part.den, 1) if part is not None and part.den else None

    return {
        pk: {"active": share(part), "filled": share(filled.get(pk))}
        for pk, part in active.items()
        if pk is not None
    }
