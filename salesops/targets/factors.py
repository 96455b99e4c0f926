"""The dynamic factors a plan's scenarios are computed from (T2), for the plan's members
(the owners of the deals, :func:`.permissions.members`) and its product line:

- ``pool``: the calibrated pool (``plan.calibration.pool``; the plan's own pool becomes the
  chosen scenario's result once a baseline is confirmed, so scenarios keep reading the
  calibration);
- ``pipeline``: Σ open deals' amount × stage probability / 100 (weighted pipeline);
- ``win_rate``: won / (won + lost) over the deals closed in the last 12 months (0 without any);
- ``cycle_days``: the median number of working days (core.calendar) from the lead's creation
  (the deal's own when it came without a lead) to winning, over the deals won in the last
  12 months (0 without any);
- ``chain_maturity``: the share of open deals whose decision chain (deal contacts) covers at
  least three distinct decision roles, "other" not counting as a role (0 without open deals).
"""

from __future__ import annotations

import datetime as dt
import statistics
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import BigIntegerField, Count, F, Sum
from django.db.models.functions import Cast, Coalesce, Round
from django.utils import timezone

from salesops.core import calendar, clock
from salesops.customers.models import DecisionRole
from salesops.pipeline.models import Deal, DealStatus, Stage

from .models import Calibration, TargetPlan
from .permissions import members

FACTOR_NAMES = ("pool", "pipeline", "win_rate", "cycle_days", "chain_maturity")
MATURE_ROLES = 3
CENT = Decimal("0.01")
RATE = Decimal("0.0001")


def _deals(plan: TargetPlan):
    deals = Deal.objects.filter(owner__in=members(plan)).order_by()
    if plan.product_line:
        deals = deals.filter(product_line=plan.product_line)
    return deals


# An amount in whole cents: summed exactly by every database (SQLite's SUM of a decimal
# column is a float).
_CENTS = Cast(Round(F("amount") * 100), BigIntegerField())


def _pipeline(open_deals) -> tuple[Decimal, int]:
    """The weighted pipeline and the number of open deals: the amounts summed per stage in
    the database, each stage's probability applied here."""
    by_stage = list(
        open_deals.values("stage_id").annotate(cents=Sum(_CENTS), deals=Count("id")).order_by()
    )
    probability = dict(
        Stage.objects.filter(pk__in=[row["stage_id"] for row in by_stage]).values_list(
            "pk", "probability"
        )
    )
    pipeline = sum(
        (
            Decimal(row["cents"] or 0) / 100 * Decimal(probability.get(row["stage_id"]) or 0) / 100
            for row in by_stage
        ),
        Decimal(0),
    )
    return pipeline, sum(row["deals"] for row in by_stage)


def _cycles(won) -> list[int]:
    """Working days from the lead's (else the deal's) creation to winning, per won deal,
    counted with one cumulative workday index over the dates involved."""
    zone = timezone.get_current_timezone()

    def local(moment):
        return moment.astimezone(zone).date() if timezone.is_aware(moment) else moment.date()

    pairs = [(local(started_at), local(closed_at)) for started_at, closed_at in won]
    if not pairs:
        return []
    count = calendar.workday_counter(
        min(start for start, _end in pairs), max(end for _start, end in pairs)
    )
    return [count(start, end) for start, end in pairs]


def _mature(open_deals) -> int:
    """Open deals whose contacts cover at least :data:`MATURE_ROLES` distinct decision
    roles ("other" not counting), counted by the database."""
    return (
        Deal.contacts.through.objects.filter(deal__in=open_deals.values("pk"))
        .exclude(contact__decision_role=DecisionRole.OTHER)
        .values("deal_id")
        .annotate(roles=Count("contact__decision_role", distinct=True))
        .filter(roles__gte=MATURE_ROLES)
        .order_by()
        .count()
    )


def compute_factors(plan: TargetPlan) -> dict[str, Decimal]:
    deals = _deals(plan)
    now = clock.now()
    since = now - dt.timedelta(days=365)

    open_deals = deals.filter(status=DealStatus.OPEN)
    pipeline, open_count = _pipeline(open_deals)

    closed = deals.filter(closed_at__gte=since, closed_at__lte=now)
    # (when the sale started: the lead's creation, else the deal's; when it was won)
    won = list(
        closed.filter(status=DealStatus.WON).values_list(
            Coalesce("lead__created_at", "created_at"), "closed_at"
        )
    )
    lost = closed.filter(status=DealStatus.LOST).count()
    win_rate = Decimal(len(won)) / Decimal(len(won) + lost) if won or lost else Decimal(0)

    cycles = _cycles(won)
    cycle_days = Decimal(str(statistics.median(cycles))) if cycles else Decimal(0)

    mature = _mature(open_deals) if open_count else 0
    maturity = Decimal(mature) / Decimal(open_count) if open_count else Decimal(0)

    pool = Calibration.objects.filter(plan=plan).values_list("pool", flat=True).first()
    return {
        "pool": Decimal(pool or 0).quantize(CENT),
        "pipeline": pipeline.quantize(CENT, rounding=ROUND_HALF_UP),
        "win_rate": win_rate.quantize(RATE, rounding=ROUND_HALF_UP),
        "cycle_days": cycle_days.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
        "chain_maturity": maturity.quantize(RATE, rounding=ROUND_HALF_UP),
    }
