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
