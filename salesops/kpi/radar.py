"""The capability radar (SPEC K5): each active :class:`RadarDimension` is a formula over
metric codes (``core.expressions``), evaluated per rep over a period and clamped to 0–100.

- :func:`evaluate` gives every rep's value per dimension with the metric inputs it read
  and the error when it could not be computed (P4: the page explains each axis).
- :func:`values` is the plain numbers: a dimension that could not be computed for a rep
  (a metric without data, e.g. no customer-voice answer yet, or a formula error) is left
  out for that rep rather than counted as 0, so "no data" never reads as "no ability"
  (the capability-gap alert, K8, compares two stored quarters).
- :func:`store_quarter` upserts :class:`RadarScore` rows (value, team average, inputs) of
  every scored rep for a quarter; the K8 rule reads them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from salesops.core import clock
from salesops.core.expressions import ExpressionError, compile_expression, evaluate

from . import metrics, runs
from .models import Metric, RadarDimension, RadarScore, RepScore
from .periods import previous_quarter, quarter_bounds  # noqa: F401 - radar's quarters
from .permissions import SCORED_ROLES

LOW, HIGH = Decimal(0), Decimal(100)
CENT = Decimal("0.01")


@dataclass
class Axis:
    """One rep's value on one dimension, with what it was computed from."""

    value: Decimal | None
    inputs: dict[str, str | None] = field(default_factory=dict)
    error: str = ""


@dataclass
class Radar:
    """:func:`evaluate`'s answer: the dimensions (in order) and each rep's axes."""

    dimensions: list[RadarDimension]
    axes: dict[int, dict[str, Axis]]
    errors: dict[str, str] = field(default_factory=dict)  # dimension code → formula error


def _clamp(value) -> Decimal:
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    return min(max(number, LOW), HIGH).quantize(CENT)


def _text(value) -> str | None:
    return None if value is None else str(value)


def evaluate_dimensions(
    dimensions: list[RadarDimension], user_ids, start: dt.date, end: dt.date
) -> Radar:
    """Evaluate ``dimensions`` for ``user_ids`` over ``start``–``end``."""
    user_ids = list(user_ids)
    known = set(Metric.objects.values_list("code", flat=True))
    compiled, errors = {}, {}
    for dim in dimensions:
        try:
            compiled[dim.code] = compile_expression(dim.formula, known)
        except ExpressionError as exc:
            errors[dim.code] = str(exc)
    codes = set().union(*(e.names for e in compiled.values())) if compiled else set()
    numbers = metrics.compute(metrics.definitions_for(codes), user_ids, start, end) if codes else {}
    axes: dict[int, dict[str, Axis]] = {uid: {} for uid in user_ids}
    for uid in user_ids:
        for dim in dimensions:
            if dim.code in errors:
                axes[uid][dim.code] = Axis(None, {}, errors[dim.code])
                continue
            expression = compiled[dim.code]
            inputs = {code: numbers.get(code, {}).get(uid) for code in sorted(expression.names)}
            shown = {code: _text(v) for code, v in inputs.items()}
            # A metric without a value in the period reaches the formula as None: a
            # formula that says what "no data" means (coalesce(x, 0)) still scores;
            # one that does not has no value, and the axis says which metric lacked one.
            missing = [code for code, v in inputs.items() if v is None]
            lacking = _("No value for %(codes)s in this period.") % {"codes": ", ".join(missing)}
            try:
                result = evaluate(expression, inputs)
            except (ExpressionError, ArithmeticError, ValueError, TypeError) as exc:
                axes[uid][dim.code] = Axis(None, shown, lacking if missing else str(exc))
                continue
            if result is None:
                axes[uid][dim.code] = Axis(None, shown, lacking)
            else:
                axes[uid][dim.code] = Axis(_clamp(result), shown)
    return Radar(list(dimensions), axes, errors)


def active_dimensions() -> list[RadarDimension]:
    return list(RadarDimension.objects.filter(is_active=True).order_by("order", "code"))


def evaluate_users(user_ids, start: dt.date, end: dt.date) -> Radar:
    return evaluate_dimensions(active_dimensions(), user_ids, start, end)


def values(user_ids, start: dt.date, end: dt.date) -> dict[int, dict[str, Decimal]]:
    """``{user_id: {dimension_code: value 0–100}}``; a dimension without data for a rep
    (see the module docstring) is absent from that rep's dict."""
    radar = evaluate_users(user_ids, start, end)
    return {
        uid: {code: axis.value for code, axis in axes.items() if axis.value is not None}
        for uid, axes in radar.axes.items()
    }


def average(numbers) -> Decimal | None:
    numbers = [n for n in numbers if n is not None]
    if not numbers:
        return None
    return (sum(numbers, Decimal(0)) / len(numbers)).quantize(CENT)


def scored_users(start: dt.date, end: dt.date) -> dict[int, int | None]:
    """``{user_id: team_id}`` of everyone scored in the period: a score row in a run of
    the period, or an active rep/manager with a KPI scheme on its last day."""
    people = {}
    for uid, team_id in RepScore.objects.filter(
        run__period_start__gte=start, run__period_end__lte=end
    ).values_list("user_id", "team_id"):
        people.setdefault(uid, team_id)
    users = get_user_model().objects.filter(is_active=True, role__in=SCORED_ROLES)
    for user in users.exclude(pk__in=list(people)):
        if runs.scheme_for(user, end) is not None:
            people[user.pk] = user.team_id
    # The team a rep is in now decides the average they are compared with.
    current = dict(
        get_user_model().objects.filter(pk__in=list(people)).values_list("pk", "team_id")
    )
    return {uid: current.get(uid, team) or team for uid, team in people.items()}


def team_averages(radar: Radar, teams: dict[int, int | None]) -> dict[tuple, Decimal | None]:
    """``{(team_id, dimension_code): mean of the team's computed values}``."""
    groups: dict[tuple, list] = {}
    for uid, axes in radar.axes.items():
        for code, axis in axes.items():
            groups.setdefault((teams.get(uid), code), []).append(axis.value)
    return {key: average(numbers) for key, numbers in groups.items()}


@transaction.atomic
def store_quarter(start: dt.date, end: dt.date) -> int:
    """Store the radar of every scored rep for ``start``–``end`` (upsert on user,
    dimension and period start). A dimension a rep has no value for is not stored (and a
    stale row of it is removed). Returns the number of rows written."""
    teams = scored_users(start, end)
    if not teams:
        return 0
    radar = evaluate_users(list(teams), start, end)
    averages = team_averages(radar, teams)
    existing = {
        (row.user_id, row.dimension): row
        for row in RadarScore.objects.filter(period_start=start, user_id__in=list(teams))
    }
    now = clock.now()
    create, update, stale = [], [], []
    for uid, axes in radar.axes.items():
        for code, axis in axes.items():
            row = existing.get((uid, code))
            if axis.value is None:
                if row is not None:
                    stale.append(row.pk)
                continue
            formula = next(d.formula for d in radar.dimensions if d.code == code)
            fields = {
                "team_id": teams[uid],
                "period_end": end,
                "value": axis.value,
                "team_average": averages.get((teams[uid], code)),
                "inputs": {"formula": formula, "metrics": axis.inputs},
                "computed_at": now,
            }
            if row is None:
                create.append(RadarScore(user_id=uid, dimension=code, period_start=start, **fields))
            else:
                for name, value in fields.items():
                    setattr(row, name, value)
                update.append(row)
    if stale:
        RadarScore.objects.filter(pk__in=stale).delete()
    RadarScore.objects.bulk_create(create, batch_size=500)
    if update:
        RadarScore.objects.bulk_update(
            update,
            ["team_id", "period_end", "value", "team_average", "inputs", "computed_at"],
            batch_size=500,
        )
    return len(create) + len(update)


def _team_members(user, start: dt.date, end: dt.date) -> list[int]:
    """``user`` and the scored people of their team (as :func:`scored_users` counts
    them, so the page's average is the one :func:`store_quarter` stores)."""
    ids = [user.pk]
    if not user.team_id:
        return ids
    scored = set(
        RepScore.objects.filter(
            run__period_start__gte=start, run__period_end__lte=end, user__team_id=user.team_id
        ).values_list("user_id", flat=True)
    )
    users = get_user_model().objects.filter(
        team_id=user.team_id, is_active=True, role__in=SCORED_ROLES
    )
    for other in users.exclude(pk=user.pk).select_related("team"):
        if other.pk in scored or runs.scheme_for(other, end) is not None:
            ids.append(other.pk)
    return ids


def for_user(user, start: dt.date, end: dt.date) -> dict:
    """One quarter of ``user``'s radar against their team's average, axis by axis with the
    formula and the inputs. A closed quarter already stored by :func:`store_quarter` is
    read from its rows (what K8 saw); otherwise it is computed now."""
    dimensions = active_dimensions()
    stored = {}
    if end < clock.today():
        stored = {
            row.dimension: row
            for row in RadarScore.objects.filter(user=user, period_start=start, period_end=end)
        }
    if dimensions and all(d.code in stored for d in dimensions):
        axes = [
            {
                "code": d.code,
                "name": d.name_zh,
                "name_en": d.name_en,
                "formula": d.formula,
                "value": stored[d.code].value,
                "team_average": stored[d.code].team_average,
                "inputs": (stored[d.code].inputs or {}).get("metrics", {}),
                "error": "",
            }
            for d in dimensions
        ]
        return {"start": start, "end": end, "stored": True, "axes": axes}
    members = _team_members(user, start, end)
    radar = evaluate_dimensions(dimensions, members, start, end)
    axes = []
    for d in dimensions:
        mine = radar.axes[user.pk][d.code]
        axes.append(
            {
                "code": d.code,
                "name": d.name_zh,
                "name_en": d.name_en,
                "formula": d.formula,
                "value": mine.value,
                "team_average": average([radar.axes[uid][d.code].value for uid in members]),
                "inputs": mine.inputs,
                "error": mine.error,
            }
        )
    return {"start": start, "end": end, "stored": False, "axes": axes}
