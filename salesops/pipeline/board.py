"""The kanban board (D3): one column per open stage of one pipeline, with the won and lost
totals of the current quarter beside them.

The board reads a fixed number of queries whatever the number of deals: one for the
stages, one aggregate for every column's count and sums, one for the cards (at most
``CARDS_PER_COLUMN`` per column, picked by a window function in the database) and one for
the closed totals. A column with more deals than it shows says how many more and links to
the deal list filtered by its stage.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, Sum, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from salesops.core import calendar, clock

from .models import ChangeState, Deal, DealStatus, Pipeline, Stage, StageChange, StageKind

# How many cards a column renders; the rest are counted and reached through the list.
CARDS_PER_COLUMN = 50
CENT = Decimal("0.01")


@dataclass
class Column:
    """One open stage of the board: its cards and the totals over all its deals."""

    stage: Stage
    cards: list = field(default_factory=list)
    count: int = 0
    total: Decimal = Decimal("0")

    @property
    def weighted(self) -> Decimal:
        return (self.total * Decimal(self.stage.probability) / 100).quantize(CENT)

    @property
    def more(self) -> int:
        return max(0, self.count - len(self.cards))


@dataclass
class Closed:
    """Won or lost this quarter (deals whose ``closed_at`` falls in it)."""

    stage: Stage
    count: int = 0
    total: Decimal = Decimal("0")


@dataclass
class Board:
    pipeline: Pipeline
    columns: list[Column]
    closed: list[Closed]
    quarter_start: dt.date
    now: dt.datetime

    @property
    def open_count(self) -> int:
        return sum(column.count for column in self.columns)

    @property
    def open_total(self) -> Decimal:
        return sum((column.total for column in self.columns), Decimal("0"))

    @property
    def weighted_total(self) -> Decimal:
        return sum((column.weighted for column in self.columns), Decimal("0"))


def quarter_start(today: dt.date) -> dt.date:
    return dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)


def _decorate(card: Deal, now: dt.datetime) -> None:
    """What a card shows beyond the deal's own fields: working days in stage, stalled."""
    card.days_in_stage = calendar.working_days_elapsed(card.stage_entered_at, now)
    card.stalled = card.stall_due_at is not None and card.stall_due_at <= now


def build(deals, pipeline: Pipeline, *, cap: int = CARDS_PER_COLUMN) -> Board:
    """The board of ``pipeline`` over ``deals`` (a queryset the caller already limited to
    what the user may see and to the filters)."""
    now = clock.now()
    stages = list(pipeline.stages.all().order_by("order", "id"))
    columns = {s.pk: Column(stage=s) for s in stages if s.kind == StageKind.OPEN}
    deals = deals.filter(pipeline=pipeline)
    open_deals = deals.filter(status=DealStatus.OPEN, stage_id__in=list(columns))

    for row in (
        open_deals.order_by()
        .values("stage_id")
        .annotate(n=Count("pk"), total=Sum("amount"))
        .values_list("stage_id", "n", "total")
    ):
        stage_id, n, total = row
        columns[stage_id].count = n
        columns[stage_id].total = total or Decimal("0")

    if cap > 0 and columns:
        pending = StageChange.objects.filter(deal=OuterRef("pk"), state=ChangeState.PENDING)
        cards = (
            open_deals.select_related("account", "owner")
            .annotate(
                pending_approval=Exists(pending),
                position=Window(
                    RowNumber(),
                    partition_by=[F("stage_id")],
                    order_by=[F("stage_entered_at").asc(), F("id").asc()],
                ),
            )
            .filter(position__lte=cap)
            .order_by("stage_id", "position")
        )
        for card in cards:
            _decorate(card, now)
            columns[card.stage_id].cards.append(card)

    start = quarter_start(clock.today())
    terminal = {s.pk: Closed(stage=s) for s in stages if s.kind != StageKind.OPEN}
    if terminal:
        for stage_id, n, total in (
            deals.filter(
                ~Q(status=DealStatus.OPEN),
                stage_id__in=list(terminal),
                closed_at__gte=timezone.make_aware(dt.datetime.combine(start, dt.time.min)),
            )
            .order_by()
            .values("stage_id")
            .annotate(n=Count("pk"), total=Sum("amount"))
            .values_list("stage_id", "n", "total")
        ):
            terminal[stage_id].count = n
            terminal[stage_id].total = total or Decimal("0")
    return Board(
        pipeline=pipeline,
        columns=list(columns.values()),
        closed=list(terminal.values()),
        quarter_start=start,
        now=now,
    )
