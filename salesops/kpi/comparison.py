"""My comparison (SPEC K4): me against my team's TOP3 and against a benchmark on the
metrics of :attr:`KpiPolicy.comparison_metrics`, instead of global averages.

- **My team**: the people scored in my run (the scheme I am scored by) for the period
  whose score row has my team; with no run for the period, the active reps and
  managers of my team.
- **TOP3**: the three highest total scores of my teammates for the period, *never me*:
  when I am among my team's top three, the TOP3 are the three best of the others (so I
  am always compared with three other people) and ``i_am_top3`` says so. Ties are
  broken by user id so the choice is stable. Their value per metric is the mean of the
  three (those with a value).
- **Benchmark**: the team's median per metric (everyone of the team with a value, me
  included), or :attr:`KpiPolicy.benchmark_values` when the benchmark mode is "fixed"
  (a metric without a set value has no benchmark).
- **better / worse / equal** reads the metric's ``higher_is_better``.

Metric values come from ``metrics.compute`` over the team's members.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model

from . import metrics
from .models import BenchmarkMode, KpiPolicy, Metric, RepScore, RunState
from .permissions import SCORED_ROLES, ranking_names
from .selectors import metric_name

TOP = 3
PLACES = Decimal("0.0001")


def median(numbers: list[Decimal]) -> Decimal | None:
    numbers = sorted(n for n in numbers if n is not None)
    if not numbers:
        return None
    middle = len(numbers) // 2
    if len(numbers) % 2:
        return numbers[middle]
    return ((numbers[middle - 1] + numbers[middle]) / 2).quantize(PLACES)


def mean(numbers: list[Decimal]) -> Decimal | None:
    numbers = [n for n in numbers if n is not None]
    if not numbers:
        return None
    return (sum(numbers, Decimal(0)) / len(numbers)).quantize(PLACES)


def verdict(mine, other, higher_is_better: bool) -> str | None:
    """ "better", "worse" or "equal" for ``mine`` against ``other``; ``None`` without both."""
    if mine is None or other is None:
        return None
    if mine == other:
        return "equal"
    return "better" if (mine > other) == bool(higher_is_better) else "worse"


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _my_row(user, start: dt.date, end: dt.date) -> RepScore | None:
    return (
        RepScore.objects.filter(
            user=user,
            run__period_start=start,
            run__period_end=end,
            run__state__in=(RunState.LIVE, RunState.FINAL),
        )
        .select_related("run")
        .order_by("-computed_at")
        .first()
    )


def team_scores(user, start: dt.date, end: dt.date) -> tuple[RepScore | None, list[RepScore]]:
    """My score row and the score rows of my team in my run (best first)."""
    mine = _my_row(user, start, end)
    team_id = mine.team_id if mine else user.team_id
    if mine is None or team_id is None:
        return mine, []
    rows = (
        RepScore.objects.filter(run_id=mine.run_id, team_id=team_id)
        .select_related("user")
        .order_by("-score", "user_id")
    )
    return mine, list(rows)


def compare(user, start: dt.date, end: dt.date) -> dict:
    """Everything the comparison page, chart and API show (see the module docstring)."""
    policy = KpiPolicy.current()
    codes = [c for c in (policy.comparison_metrics or []) if isinstance(c, str)]
    found = {m.code: m for m in Metric.objects.filter(code__in=codes)}
    missing = [c for c in codes if c not in found]
    codes = [c for c in codes if c in found]

    mine, rows = team_scores(user, start, end)
    others = [r for r in rows if r.user_id != user.pk]
    top = others[:TOP]
    my_rank = next((i for i, r in enumerate(rows, start=1) if r.user_id == user.pk), None)
    if rows:
        members = [r.user_id for r in rows]
    elif user.team_id:
        members = list(
            get_user_model()
            .objects.filter(team_id=user.team_id, is_active=True, role__in=SCORED_ROLES)
            .values_list("pk", flat=True)
        )
    else:
        members = []
    if user.pk not in members:
        members.append(user.pk)

    definitions = metrics.definitions_for(codes)
    numbers = metrics.compute(definitions, members, start, end) if definitions else {}

    fixed = policy.benchmark_mode == BenchmarkMode.FIXED
    names = ranking_names(user, scope="team")
    lines = []
    for code in codes:
        metric = found[code]
        values = numbers.get(code, {})
        me = values.get(user.pk)
        top3 = mean([values.get(r.user_id) for r in top])
        if fixed:
            benchmark = _decimal((policy.benchmark_values or {}).get(code))
        else:
            benchmark = median([values.get(uid) for uid in members])
        lines.append(
            {
                "code": code,
                "name": metric_name(metric.definition()),
                "unit": metric.unit,
                "higher_is_better": metric.higher_is_better,
                "me": me,
                "top3": top3,
                "benchmark": benchmark,
                "vs_top3": verdict(me, top3, metric.higher_is_better),
                "vs_benchmark": verdict(me, benchmark, metric.higher_is_better),
            }
        )
    return {
        "start": start,
        "end": end,
        "team_id": mine.team_id if mine else user.team_id,
        "score": mine.score if mine else None,
        "rank_team": my_rank,
        "team_size": len(rows),
        "i_am_top3": my_rank is not None and my_rank <= TOP,
        "top3": [
            {
                "user_id": r.user_id,
                "name": r.user.label if names else None,
                "score": r.score,
            }
            for r in top
        ],
        "benchmark_mode": policy.benchmark_mode,
        "members": len(members),
        "metrics": lines,
        "missing": missing,
    }


def chart_data(result: dict, labels: dict) -> dict:
    """The grouped bar chart: per metric, me / TOP3 / benchmark scaled to the largest of
    the three (= 100), the real numbers kept for the tooltip (units differ per metric)."""

    def scaled(line, key):
        values = [abs(line[k]) for k in ("me", "top3", "benchmark") if line[k] is not None]
        top = max(values, default=0)
        if line[key] is None or not top:
            return None
        return float((line[key] / top * 100).quantize(Decimal("0.1")))

    def raw(value):
        return None if value is None else float(value)

    lines = result["metrics"]
    return {
        "labels": [line["name"] for line in lines],
        "series": [
            {
                "key": key,
                "name": labels[key],
                "data": [scaled(line, key) for line in lines],
                "raw": [raw(line[key]) for line in lines],
            }
            for key in ("me", "top3", "benchmark")
        ],
        "axis": labels["axis"],
    }
