"""Targets in a real browser (issue 16): the director runs a plan through calibration →
scenarios → vote → decomposition → publish from the pages alone; a rep then finds their
own target, with the reason for it, under "My target"."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from salesops.core import clock
from salesops.customers.tests.factories import make_account
from salesops.revenue.tests.factories import make_contract, make_payment
from salesops.targets.models import Allocation, PlanState, TargetPlan
from tests.e2e.conftest import login


@pytest.fixture
def last_year_payments(org):
    """Payments of last year for two reps: the historical source is not zero."""
    year = clock.today().year - 1
    for rep, amount in ((org.rep_a, "120000.00"), (org.rep_d, "60000.00")):
        contract = make_contract(
            make_account(rep), amount=Decimal("200000.00"), signed_on=dt.date(year, 3, 1)
        )
        make_payment(contract, amount, received_on=dt.date(year, 6, 15))


def test_the_director_sets_a_target_from_the_pages(desktop_page, org, last_year_payments):
    page = desktop_page
    login(page, "director", org.password)
    page.goto("/")
    page.get_by_test_id("nav-targets").get_by_role("button").click()
    page.get_by_test_id("nav-targets").get_by_role("link", name="Target plans").click()
    page.wait_for_url("**/targets/")
    page.get_by_test_id("new-plan").click()

    form = page.get_by_test_id("plan-form")
    form.get_by_label("Name").fill("Company target")
    form.get_by_label("Fiscal year").fill(str(clock.today().year))
    form.get_by_label("Team").select_option(str(org.company.pk))
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("plan-state")).to_contain_text("Draft")
    plan = TargetPlan.objects.get(name="Company target")

    # 1. calibration: the three sources, the formula and the pool
    page.get_by_test_id("step-calibration").get_by_role("link").click()
    page.get_by_label("Bidding index").fill("1.1")
    page.get_by_test_id("calibrate").click()
    expect(page.get_by_test_id("calibrated-pool")).to_be_visible()
    expect(page.get_by_test_id("source-historical")).to_contain_text("180,000.00")
    expect(page.get_by_test_id("calibration-chart")).to_be_visible()
    plan.refresh_from_db()
    assert plan.state == PlanState.CALIBRATED and plan.pool > 0

    # 2. scenarios and the vote; the director confirms the steady one
    page.goto(f"/targets/plans/{plan.pk}/scenarios/")
    page.get_by_test_id("compute").click()
    expect(page.get_by_test_id("scenario-steady").get_by_test_id("result")).to_be_visible()
    page.get_by_test_id("vote-steady").click()
    expect(page.get_by_test_id("scenario-steady").get_by_test_id("my-vote")).to_be_visible()
    page.get_by_test_id("confirm-steady").click()
    expect(page.get_by_test_id("baseline-badge")).to_be_visible()
    plan.refresh_from_db()
    assert plan.state == PlanState.SCENARIO_CHOSEN

    # 3. decomposition by the capability matrix: every rep has a part, the parts add up
    page.goto(f"/targets/plans/{plan.pk}/decomposition/")
    page.get_by_test_id("decompose").click()
    expect(page.get_by_test_id("allocation-row")).to_have_count(4)  # rep_a, rep_b, rep_c, rep_d
    expect(page.get_by_test_id("decomposition-chart")).to_be_visible()
    plan.refresh_from_db()
    parts = Allocation.objects.filter(plan=plan, version=plan.version)
    assert sum(a.amount for a in parts) == plan.pool

    # 4. publish
    page.goto(f"/targets/plans/{plan.pk}/")
    page.get_by_test_id("publish").click()
    expect(page.get_by_test_id("published")).to_be_visible()
    plan.refresh_from_db()
    assert plan.state == PlanState.PUBLISHED

    # A rep sees their own target and why, not their peers'.
    page.context.clear_cookies()
    login(page, "rep_a", org.password)
    page.goto("/targets/mine/")
    mine = parts.get(rep=org.rep_a)
    expect(page.locator("body")).to_contain_text(f"{mine.amount:,.2f}")
    page.goto(f"/targets/plans/{plan.pk}/decomposition/")
    expect(page.get_by_test_id("allocation-row")).to_have_count(1)
