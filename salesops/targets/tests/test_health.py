"""Target health (issue 16 item 5, SPEC T4): per rep and team, at an instant — target to
date, achieved, qualified pipeline, gap, coverage and the red / amber thresholds. Every
expected value is computed by hand in the comments."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from salesops.targets import health
from salesops.targets.models import HealthStatus, Measure, TargetPolicy

from .factories_health import allocate, make_plan, pay, pipeline, standard_plan

pytestmark = pytest.mark.django_db
TZ = timezone.get_default_timezone()
NOW = timezone.make_aware(dt.datetime(2026, 7, 15, 10, 0), TZ)
D = Decimal


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def plan(org):
    return standard_plan(org)


def rep_row(result, rep):
    return next(r for r in result.reps if r.rep == rep).figures


def test_rep_figures_and_colours(org, plan):
    result = health.compute(plan)
    assert result.today == dt.date(2026, 7, 15) and result.month == dt.date(2026, 7, 1)
    a = rep_row(result, org.rep_a)
    # 7 months (Jan–Jul, July whole) of 100,000
    assert a.target_to_date == D("700000.00")
    assert (a.target_year, a.achieved, a.gap) == (D("1200000.00"), D("500000.00"), D("700000.00"))
    assert a.qualified_pipeline == D("1400000.00")
    assert a.coverage == D("2.00") and a.status == HealthStatus.GREEN  # not below amber 2.00
    assert a.completion == D("0.4167")  # 500k / 1.2M
    b = rep_row(result, org.rep_b)
    assert (b.gap, b.coverage, b.status) == (D("600000.00"), D("1.67"), HealthStatus.RED)
    c = rep_row(result, org.rep_c)
    assert (c.gap, c.coverage, c.status) == (D("200000.00"), D("1.90"), HealthStatus.AMBER)
    d = rep_row(result, org.rep_d)
    # over target: no gap, coverage None ("target reached"), green
    assert (d.gap, d.coverage, d.status) == (D("0.00"), None, HealthStatus.GREEN)
    assert d.completion == D("1.1667")


def test_teams_sum_their_subtree(org, plan):
    result = health.compute(plan)
    rows = {row.team: row for row in result.teams}
    assert [t.name for t in rows] == ["Company", "East", "Shanghai", "South"]
    east = rows[org.east].figures
    # A + B + C: target 3.0M, achieved 1.5M, gap 1.5M, pipeline 2.78M → 1.853 → 1.85
    assert (east.target_year, east.achieved, east.gap) == (
        D("3000000.00"),
        D("1500000.00"),
        D("1500000.00"),
    )
    assert east.qualified_pipeline == D("2780000.00")
    assert east.coverage == D("1.85") and east.status == HealthStatus.AMBER
    assert rows[org.east].reps == 3
    company = rows[org.company].figures
    # all four: 3.6M − 2.2M = 1.4M gap; 2.78M / 1.4M = 1.9857 → 1.99
    assert company.gap == D("1400000.00") and company.coverage == D("1.99")
    assert company.target_to_date == D("2100000.00")  # 3.6M × 7/12
    assert rows[org.south].figures.coverage is None
    assert [r.rep for r in result.reps_of(org.east)] == [org.rep_a, org.rep_b, org.rep_c]


def test_the_thresholds_are_the_policy(org, plan):
    policy = TargetPolicy.current()
    policy.coverage_red = D("1.50")
    policy.coverage_amber = D("1.70")
    policy.save()
    result = health.compute(plan)
    assert rep_row(result, org.rep_b).status == HealthStatus.AMBER  # 1.67: 1.50 ≤ x < 1.70
    assert rep_row(result, org.rep_c).status == HealthStatus.GREEN  # 1.90
    assert health.status(D("1.49"), policy) == HealthStatus.RED
    assert health.status(D("1.50"), policy) == HealthStatus.AMBER
    assert health.status(None, policy) == HealthStatus.GREEN


def test_reads_the_version_in_force_and_monthly_amounts(org, plan):
    # version 2 of the plan gives A a front-loaded monthly split
    monthly = ["200000.00"] * 6 + ["0.00"] * 6
    allocate(plan, org.rep_a, "1200000.00", version=2, monthly=monthly)
    plan.version = 2
    plan.save()
    result = health.compute(plan)
    assert [r.rep for r in result.reps] == [org.rep_a]
    assert rep_row(result, org.rep_a).target_to_date == D("1200000.00")
    as_dicts = [{"month": f"2026-{m:02d}-01", "amount": "100000"} for m in range(1, 13)]
    amounts = health.monthly_amounts(as_dicts, D("1200000"), health.measures.fiscal_months(2026))
    assert sum(amounts[:3]) == D("300000.00")
    # no monthly split: a twelfth each month, the remainder in the last
    split = health.monthly_amounts([], D("100.00"), health.measures.fiscal_months(2026))
    assert split[0] == D("8.33") and split[-1] == D("8.37") and sum(split) == D("100.00")


def test_product_line_and_contract_measure(org):
    plan = make_plan(org.south, measure=Measure.CONTRACTS, product_line="software")
    allocate(plan, org.rep_d, "1000000.00")
    pipeline(org.rep_d, "400000.00", product_line="software")
    pipeline(org.rep_d, "900000.00", product_line="hardware")
    pay(org.rep_d, "50000.00", dt.date(2026, 6, 1), product_line="software")  # signed 2025-12-06
    result = health.compute(plan, at=NOW)
    d = rep_row(result, org.rep_d)
    assert d.qualified_pipeline == D("400000.00")
    assert d.achieved == D("0.00")  # the contract was signed in 2025


def test_few_queries_whatever_the_number_of_reps(org, plan, django_assert_num_queries):
    from salesops.org.tests.factories import UserFactory

    health.compute(plan)  # the first call also creates the policy row
    with CaptureQueriesContext(connection) as four:
        health.compute(plan)
    for n in range(8):
        rep = UserFactory(username=f"extra{n}", team=org.south)
        allocate(plan, rep, "100000.00")
        pipeline(rep, "50000.00")
    with django_assert_num_queries(len(four)):
        result = health.compute(plan)
    assert len(result.reps) == 12 and len(four) <= 6
