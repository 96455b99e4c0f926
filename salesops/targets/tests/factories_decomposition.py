"""Test data for the decomposition: a plan ready to split (made directly, until the plans
helper's factories exist) and closed deals at a chosen moment, level and product line."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from salesops.customers.models import Account
from salesops.pipeline.models import Deal, DealStatus
from salesops.pipeline.tests.factories import make_account, make_deal
from salesops.targets.models import Calibration, PlanState, TargetPlan

TODAY = dt.date(2026, 7, 15)
NOW = timezone.make_aware(dt.datetime(2026, 7, 15, 10, 0))


def make_plan(
    team,
    *,
    pool="1000.00",
    state=PlanState.SCENARIO_CHOSEN,
    product_line="",
    seasonal=None,
    fiscal_year=2026,
    name=None,
) -> TargetPlan:
    plan = TargetPlan.objects.create(
        name=name or f"FY{fiscal_year} {team.name}",
        fiscal_year=fiscal_year,
        team=team,
        product_line=product_line,
        state=state,
        pool=Decimal(pool),
    )
    Calibration.objects.create(plan=plan, seasonal_index=seasonal or ["1.00"] * 12)
    return plan


def account_for(owner, level: str) -> Account:
    account = Account.objects.filter(owner=owner, level=level).first()
    if account is None:
        account = make_account(owner)
        Account.objects.filter(pk=account.pk).update(level=level)
        account.level = level
    return account


def closed_deal(
    owner,
    amount,
    *,
    won=True,
    level="C",
    days_ago=10,
    product_line="",
    now=NOW,
) -> Deal:
    """A deal of ``owner`` won (or lost) ``days_ago`` days before ``now``."""
    deal = make_deal(owner=owner, account=account_for(owner, level), amount=Decimal(str(amount)))
    Deal.objects.filter(pk=deal.pk).update(
        status=DealStatus.WON if won else DealStatus.LOST,
        closed_at=now - dt.timedelta(days=days_ago),
        product_line=product_line,
    )
    deal.refresh_from_db()
    return deal


def build_dataset(org):
    """The known data set of test_decomposition's docstring: on a 1,000.00 company plan
    rep_a 256.41 (low_high), rep_b 282.05 (high_low), rep_c 179.49 (default low_low),
    rep_d 282.05 (high_low)."""
    closed_deal(org.rep_a, 100)
    closed_deal(org.rep_a, 300)
    closed_deal(org.rep_a, 200, level="A")
    closed_deal(org.rep_a, 50, level="A", won=False)
    closed_deal(org.rep_b, 500, level="A")
    for _ in range(3):
        closed_deal(org.rep_b, 10, level="A", won=False)
    closed_deal(org.rep_c, 9999, days_ago=200)
    closed_deal(org.rep_d, 1000)
    return org
