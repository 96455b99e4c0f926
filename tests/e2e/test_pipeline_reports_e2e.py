"""The pipeline reports in a real browser: the conversion funnel, the forecast and the
qualified-pipeline charts are drawn by ECharts (under the CSP), on a desktop and a phone."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from salesops.pipeline.tests.factories import default_pipeline, make_deal
from salesops.reports.tests.pipeline_data import june_history
from tests.e2e.conftest import login


@pytest.fixture
def data(org):
    default_pipeline()
    june_history(org)
    make_deal(
        owner=org.rep_a,
        stage_code="proposal",
        amount=Decimal("100000"),
        expected_close_date=dt.date.today() + dt.timedelta(days=20),
        need_confirmed=True,
        budget_confirmed=True,
        decision_maker_identified=True,
    )


def test_the_report_charts_are_drawn_on_a_desktop(desktop_page, org, data):
    charts_are_drawn(desktop_page, org, "desktop_page")


def test_the_report_charts_are_drawn_on_a_phone(phone_page, org, data):
    charts_are_drawn(phone_page, org, "phone_page")


def charts_are_drawn(page, org, page_fixture):
    login(page, "director", org.password)
    page.goto("/reports/pipeline/conversion/?start=2026-06-01&end=2026-06-30")
    expect(page.get_by_test_id("conversion-funnel")).to_have_attribute("data-rendered", "1")
    expect(page.get_by_test_id("bottleneck")).to_be_visible()
    if page_fixture == "desktop_page":
        page.screenshot(path="/tmp/analytics-conversion.png", full_page=True)
    page.goto("/reports/pipeline/forecast/")
    expect(page.get_by_test_id("forecast-chart")).to_have_attribute("data-rendered", "1")
    if page_fixture == "desktop_page":
        page.screenshot(path="/tmp/analytics-forecast.png", full_page=True)
    page.goto("/reports/pipeline/qualified/")
    expect(page.get_by_test_id("qualified-chart")).to_have_attribute("data-rendered", "1")
    assert (
        page.evaluate("document.documentElement.scrollWidth")
        <= page.evaluate("window.innerWidth") + 1
        or page_fixture == "desktop_page"
    )
