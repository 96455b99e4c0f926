"""The 12-point diagnosis in a real browser (issue 21): a director opens it from the menu,
drills from a red check into its records, opens the printable report and prints it."""

import pytest
from playwright.sync_api import expect

from salesops.diagnosis import services
from salesops.diagnosis.scope import org_scope
from tests.e2e.conftest import login


@pytest.fixture
def two_runs(org):
    # No effective touches at all: "effective touches per rep per day" is red (0.0).
    services.run_now(scope=org_scope())
    return services.run_now(scope=org_scope())


def test_a_director_drills_into_a_red_check_and_prints_the_report(desktop_page, org, two_runs):
    page = desktop_page
    login(page, "director", org.password)
    page.goto("/")
    page.get_by_test_id("nav-performance").get_by_role("button").click()
    page.get_by_test_id("nav-performance").get_by_role("link", name="Diagnosis").click()
    page.wait_for_url("**/diagnosis/")
    expect(page.get_by_test_id("tile")).to_have_count(12)
    red = page.locator("[data-testid=tile][data-light=red]").first
    expect(red).to_have_attribute("data-code", "effective_touches")
    expect(red.get_by_test_id("tile-trend")).to_contain_text("unchanged")
    expect(page.locator("[data-testid=tile][data-code=data_use]")).to_be_visible()
    expect(page.get_by_test_id("over-collection")).to_be_visible()
    red.get_by_test_id("records-link").click()
    page.wait_for_url("**/diagnosis/effective_touches/")
    rows = page.get_by_test_id("record-row")
    expect(rows).to_have_count(4)  # the four reps, none with a touch
    expect(page.get_by_test_id("records")).to_contain_text("Rep D")
    expect(page.get_by_test_id("export-xlsx")).to_be_visible()
    page.get_by_test_id("back-link").click()
    page.get_by_test_id("report-link").click()
    page.wait_for_url("**/diagnosis/report/")
    expect(page.get_by_test_id("report-row")).to_have_count(12)
    expect(page.get_by_test_id("report-date")).to_contain_text("Previous diagnosis")
    # Print: the button calls window.print (stubbed to count the call in the browser).
    page.evaluate("window.__printed = 0; window.print = () => { window.__printed += 1; }")
    page.get_by_test_id("print-button").click()
    assert page.evaluate("window.__printed") >= 1
    # The print layout: only the report — no menu, no buttons — and the table in full.
    page.emulate_media(media="print")
    expect(page.locator("header.navbar")).to_be_hidden()
    expect(page.get_by_test_id("print-button")).to_be_hidden()
    expect(page.get_by_test_id("report-table")).to_be_visible()
    expect(page.locator(".report-footer")).to_be_visible()
    page.emulate_media(media="screen")
    expect(page.locator(".report-footer")).to_be_hidden()
