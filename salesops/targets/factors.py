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

from django.utils import timezone

from salesops.core import calendar, clock
from salesops.customers.models import DecisionRole
from salesops.pipeline.models import Deal, DealStatus

from .models import Calibration, TargetPlan
from .permissions import members

FACTOR_NAMES = ("pool", "pipeline", "win_rate", "cycle_days", "chain_maturity")
MATURE_ROLES = 3
CENT = Decimal("0.01")
RATE = Decimal("0.0001")


def _local_date(moment):
    return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()


def _deals(plan: TargetPlan):
    deals = Deal.objects.filter(owner__in=members(plan)).order_by()
    if plan.product_line:
        deals = deals.filter(product_line=plan.product_line)
    return deals


def compute_factors(plan: TargetPlan) -> dict[str, Decimal]:
    deals = _deals(plan)
    now = clock.now()
    since = now - dt.timedelta(days=365)

    open_rows = list(
        deals.filter(status=DealStatus.OPEN).values_list("pk", "amount", "stage__probability")
    )
    pipeline = sum(
        (amount * Decimal(probability or 0) / 100 for _pk, amount, probability in open_rows),
        Decimal(0),
    )

    closed = deals.filter(closed_at__gte=since, closed_at__lte=now)
    won = list(
        closed.filter(status=DealStatus.WON).values_list(
            "created_at", "lead__created_at", "closed_at"
        )
    )
    lost = closed.filter(status=DealStatus.LOST).count()
    win_rate = Decimal(len(won)) / Decimal(len(won) + lost) if won or lost else Decimal(0)

    cycles = [
        calendar.working_days_between(_local_date(lead_at or created_at), _local_date(closed_at))
        for created_at, lead_at, closed_at in won
    ]
    cycle_days = Decimal(str(statistics.median(cycles))) if cycles else Decimal(0)

    open_ids = [row[0] for row in open_rows]
    roles: dict[int, set] = {}
    through = Deal.contacts.through.objects.filter(deal_id__in=open_ids).exclude(
        contact__decision_role=DecisionRole.OTHER
    )
    for deal_id, role in through.values_list("deal_id", "contact__decision_role"):
        roles.setdefault(deal_id, set()).add(role)
    mature = sum(1 for found in roles.values() if len(found) >= MATURE_ROLES)
    maturity = Decimal(mature) / Decimal(len(open_ids)) if open_ids else Decimal(0)

    pool = Calibration.objects.filter(plan=plan).values_list("pool", flat=True).first()
    return {
        "pool": Decimal(pool or 0).quantize(CENT),
        "pipeline": pipeline.quantize(CENT, rounding=ROUND_HALF_UP),
        "win_rate": win_rate.quantize(RATE, rounding=ROUND_HALF_UP),
        "cycle_days": cycle_days.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
        "chain_maturity": maturity.quantize(RATE, rounding=ROUND_HALF_UP),
    }
