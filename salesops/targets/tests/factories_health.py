"""Data for the target-health tests: plans and allocations straight through the ORM (the
plan services are another area's), payments and qualified deals through their services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from salesops.pipeline.models import Deal
from salesops.pipeline.tests.factories import make_deal
from salesops.revenue.models import Contract
from salesops.revenue.tests.factories import make_contract, make_payment
from salesops.targets.models import Allocation, Measure, PlanState, Quadrant, TargetPlan


def make_plan(team, *, year=2026, state=PlanState.PUBLISHED, **fields) -> TargetPlan:
    fields.setdefault("name", f"{team.name} {year}")
    fields.setdefault("measure", Measure.PAYMENTS)
    return TargetPlan.objects.create(team=team, fiscal_year=year, state=state, **fields)


def allocate(plan, rep, amount, *, team=None, monthly=None, version=None) -> Allocation:
    return Allocation.objects.create(
        plan=plan,
        version=version or plan.version,
        rep=rep,
        team=team or rep.team,
        quadrant=Quadrant.LOW_SIZE_LOW_WIN,
        weight=Decimal("1"),
        share=Decimal("0.25"),
        amount=Decimal(amount),
        monthly=monthly or [],
    )


def pay(rep, amount, on: dt.date, *, signed_on=None, product_line=""):
    """A payment of ``amount`` received on ``on`` on a new contract of ``rep``."""
    contract = make_contract(
        owner=rep,
        amount=Decimal("9000000.00"),
        signed_on=signed_on or min(on, dt.date(2026, 1, 5)) - dt.timedelta(days=30),
        instalments=[],
    )
    if product_line:  # a code outside the configured list: set directly
        Contract.objects.filter(pk=contract.pk).update(product_line=product_line)
    return make_payment(contract, amount, received_on=on)


def pipeline(rep, amount, *, qualified=True, product_line="", **fields) -> Deal:
    deal = make_deal(owner=rep, amount=Decimal(amount), **fields)
    Deal.objects.filter(pk=deal.pk).update(
        product_line=product_line,
        need_confirmed=qualified,
        budget_confirmed=qualified,
        decision_maker_identified=qualified,
    )
    return deal


def standard_plan(org) -> TargetPlan:
    """The company plan of 2026 the health tests share (today: 2026-07-15):

    targets A 1.2M, B 0.6M (East), C 1.2M (Shanghai, under East), D 0.6M (South);
    achieved A 500k (+ 80k in 2025, not counted), C 1.0M, D 700k;
    qualified open pipeline A 1.4M (+ 500k not qualified), B 1.0M, C 380k.
    """
    plan = make_plan(org.company)
    allocate(plan, org.rep_a, "1200000.00")
    allocate(plan, org.rep_b, "600000.00")
    allocate(plan, org.rep_c, "1200000.00")
    allocate(plan, org.rep_d, "600000.00")
    pay(org.rep_a, "300000.00", dt.date(2026, 2, 10))
    pay(org.rep_a, "200000.00", dt.date(2026, 7, 15))
    pay(org.rep_a, "80000.00", dt.date(2025, 12, 20), signed_on=dt.date(2025, 11, 1))
    pay(org.rep_c, "1000000.00", dt.date(2026, 5, 5))
    pay(org.rep_d, "700000.00", dt.date(2026, 6, 1))
    pipeline(org.rep_a, "1400000.00")
    pipeline(org.rep_a, "500000.00", qualified=False)
    pipeline(org.rep_b, "1000000.00")
    pipeline(org.rep_c, "380000.00")
    return plan
