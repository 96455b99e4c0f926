"""KPI self-service in a real browser (issue 17, K3): a rep logs in, opens My KPI, sees
their score and rank, clicks a metric's number and sees the records behind it."""

import pytest
from playwright.sync_api import expect

from salesops.core import clock
from salesops.kpi import runs
from salesops.kpi.models import MetricValue
from salesops.kpi.tests.factories_me import scored_month
from tests.e2e.conftest import login


@pytest.fixture
def this_month(org):
    """The standard scored month (factories_me), for the real current month."""
    return scored_month(org, period=runs.month_bounds(clock.today()))


def test_a_rep_opens_their_score_and_drills_into_a_metric(desktop_page, org, this_month):
    page = desktop_page
    login(page, "rep_b", org.password)
    page.goto("/kpi/me/")
    expect(page.get_by_test_id("total-score")).to_have_text("52.50")
    expect(page.get_by_test_id("rank-team")).to_have_text("2 / 2")
    expect(page.get_by_test_id("rank-org")).to_have_text("2 / 4")

    calls = page.locator('[data-testid=metric-row][data-code="calls"]')
    expect(calls).to_contain_text("min(actual / target, 1.2) * 100")
    calls.get_by_test_id("actual-link").click()
    page.wait_for_url("**/kpi/values/*/records/")
    expect(page.get_by_test_id("record-row")).to_have_count(2)
    value = next(
        v
        for v in MetricValue.objects.filter(user=org.rep_b).select_related("item")
        if v.item.metric_definition["code"] == "calls"
    )
    assert page.url.endswith(f"/kpi/values/{value.pk}/records/")
    # each record links to its own page
    page.get_by_test_id("record-row").first.get_by_role("link").click()
    page.wait_for_url("**/activities/**")
    page.go_back()
    page.get_by_test_id("back").click()
    page.wait_for_url("**/kpi/me/?period=*")
    expect(page.get_by_test_id("total-score")).to_be_visible()


def test_comparison_and_radar_charts_draw_under_the_csp(desktop_page, org, this_month):
    page = desktop_page
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    login(page, "rep_b", org.password)
    page.goto("/kpi/me/comparison/")
    expect(page.get_by_test_id("comparison-table")).to_be_visible()
    expect(page.get_by_test_id("comparison-chart")).to_have_attribute("data-rendered", "1")
    page.goto("/kpi/me/radar/")
    expect(page.get_by_test_id("radar-chart")).to_have_attribute("data-rendered", "1")
    expect(page.get_by_test_id("radar-row").first).to_be_visible()
    page.goto("/kpi/rankings/")
    expect(page.get_by_test_id("my-rank")).to_contain_text("2 / 2")
    assert not [e for e in errors if "Content Security Policy" in e]
