"""Stage conversion and time in stage (SPEC D5), read from the applied stage changes.

The definitions (shown on the page, P4), for one pipeline, the owners in scope and a
period of days:

* **entered** a stage: the applied moves *into* it (created there, moved forward, moved
  back or reopened into it) during the period — a deal that comes back after a backward
  move counts again, as a second stay;
* **moved forward** out of it: of those stays, the ones that ended with a move forward (to
  a later stage or won) — a stay is matched by the time the deal entered the stage
  (``from_entered_at``), so it counts for the period it began in, however late it ends;
* **conversion to next stage** = moved forward ÷ entered; **conversion to won** = the
  stays whose deal is won now ÷ entered;
* **time in stage**: the working days (Chinese workday calendar) of the finished stays
  that began in the period, whatever way they ended (forward, back, lost); average and
  median (the middle value, or the mean of the two middle ones);
* **bottleneck**: the stage with the lowest conversion to the next stage; on a tie, the
  one with the longest median time. Stages no deal entered are not ranked.

Two ``GROUP BY`` queries over ``pipeline_stagechange`` (the table carries the pipeline,
owner and product line of each move, so no join is needed), each answered from a
covering index (``pipeline/0002_conversion_indexes``), no table row visited. Counting
stays instead of distinct deals keeps the grouping small (no DISTINCT over a million rows). The median comes from a frequency table (stage, working days,
direction, count): exact, the same SQL on SQLite (no percentile aggregate) and
PostgreSQL, and small because working days are stored with two decimals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q

from salesops.pipeline.models import (
    ChangeDirection,
    ChangeState,
    Deal,
    DealStatus,
    Pipeline,
    Stage,
    StageChange,
    StageKind,
)

from .pipeline_common import Period, percent

FORWARD = (ChangeDirection.FORWARD, ChangeDirection.WON)


@dataclass
class StageRow:
    stage: Stage
    entered: int = 0
    forward: int = 0
    won: int = 0
    stays: int = 0
    avg_days: float | None = None
    median_days: float | None = None
    bottleneck: bool = False

    @property
    def conversion(self) -> float | None:
        return percent(self.forward, self.entered)

    @property
    def win_rate(self) -> float | None:
        return percent(self.won, self.entered)


@dataclass
class Conversion:
    pipeline: Pipeline | None
    period: Period
    rows: list[StageRow] = field(default_factory=list)
    won_stage: Stage | None = None
    won_entered: int = 0
    lost_entered: int = 0
    bottleneck: StageRow | None = None

    def funnel(self) -> list[dict]:
        """The chart's data: stays entering each open stage, then the deals won."""
        data = [{"name": row.stage.name, "value": row.entered} for row in self.rows]
        if self.rows and self.won_stage is not None:
            data.append({"name": self.won_stage.name, "value": self.won_entered})
        return data


def _scoped(pipeline: Pipeline, owner_ids, product_line: str):
    changes = StageChange.objects.filter(state=ChangeState.APPLIED, pipeline=pipeline)
    if owner_ids is not None:
        changes = changes.filter(owner_id__in=owner_ids)
    if product_line:
        changes = changes.filter(product_line=product_line)
    return changes.order_by()


def median_from_counts(counts: list[tuple[Decimal, int]]) -> float | None:
    """The exact median of a frequency table ``[(value, count)]`` sorted by value."""
    total = sum(n for _v, n in counts)
    if not total:
        return None
    low_rank, high_rank = (total - 1) // 2, total // 2  # 0-based middle ranks
    seen = 0
    low = high = None
    for value, n in counts:
        if low is None and seen + n > low_rank:
            low = value
        if seen + n > high_rank:
            high = value
            break
        seen += n
    return round((float(low) + float(high)) / 2, 2)


def _stays(changes, start, end) -> dict[int, dict]:
    """Per stage left: finished stays, forward ones, and the working-days frequency table."""
    exits = (
        changes.filter(
            from_stage__isnull=False, from_entered_at__gte=start, from_entered_at__lt=end
        )
        .values_list("from_stage", "working_days_in_stage", "direction")
        .annotate(n=Count("id"))
    )
    stays: dict[int, dict] = {}
    for stage_id, days, direction, n in exits:
        item = stays.setdefault(stage_id, {"forward": 0, "stays": 0, "days": {}})
        item["stays"] += n
        if direction in FORWARD:
            item["forward"] += n
        if days is not None:
            item["days"][days] = item["days"].get(days, 0) + n
    return stays


def conversion(
    *, pipeline: Pipeline | None, period: Period, owner_ids=None, product_line: str = ""
) -> Conversion:
    """The conversion report of ``pipeline`` (see the module docstring)."""
    result = Conversion(pipeline=pipeline, period=period)
    if pipeline is None:
        return result
    stages = list(pipeline.stages.order_by("order", "id"))
    start, end = period.bounds()
    changes = _scoped(pipeline, owner_ids, product_line)
    entries = changes.filter(applied_at__gte=start, applied_at__lt=end)
    won_deals = Deal.objects.filter(status=DealStatus.WON).values("id")
    entered, won = {}, {}
    # One pass: the won deals' ids are read once into a list SQLite/PostgreSQL probe.
    for stage_id, n, n_won in entries.values_list("to_stage").annotate(
        n=Count("id"), won=Count("id", filter=Q(deal_id__in=won_deals))
    ):
        entered[stage_id], won[stage_id] = n, n_won
    stays = _stays(changes, start, end)
    empty = {"forward": 0, "stays": 0, "days": {}}
    for stage in stages:
        if stage.kind == StageKind.WON:
            result.won_stage = result.won_stage or stage
            result.won_entered += entered.get(stage.pk, 0)
            continue
        if stage.kind == StageKind.LOST:
            result.lost_entered += entered.get(stage.pk, 0)
            continue
        out = stays.get(stage.pk, empty)
        table = sorted(out["days"].items())
        timed = sum(n for _d, n in table)
        total_days = sum(d * n for d, n in table)
        result.rows.append(
            StageRow(
                stage=stage,
                entered=entered.get(stage.pk, 0),
                won=won.get(stage.pk, 0),
                # Histories written outside the services (imports) may disagree: never > 100 %.
                forward=min(out["forward"], entered.get(stage.pk, 0)),
                stays=out["stays"],
                avg_days=round(float(total_days) / timed, 2) if timed else None,
                median_days=median_from_counts(table),
            )
        )
    ranked = [r for r in result.rows if r.entered]
    if ranked:
        worst = min(ranked, key=lambda r: (r.conversion, -(r.median_days or 0), r.stage.order))
        worst.bottleneck = True
        result.bottleneck = worst
    return result
