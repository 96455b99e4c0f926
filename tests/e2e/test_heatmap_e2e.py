"""The morning heatmap in a real browser (issue 15): a manager opens it from the menu,
the ECharts heatmap is drawn under the CSP and the table lists the team's reps; a rep
logging a visit sees the account's data snapshot load beside the form."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from salesops.activities import services
from salesops.activities.tests.conftest import account_for
from salesops.activities.tests.factories import ResultTagFactory
from salesops.aftersales.tests.factories import make_complaint
from salesops.reports import heatmap
from tests.e2e.conftest import login


@pytest.fixture
def yesterday_touches(org):
    reached = ResultTagFactory(code="reached", counts_as_contact=True)
    day = heatmap.default_day()
    tz = timezone.get_default_timezone()
    for rep, hour in ((org.rep_a, 9), (org.rep_a, 10), (org.rep_c, 15)):
        services.activity_log(
            actor=rep,
            kind="call",
            account=account_for(rep, name=f"杭州{rep.username}{hour}科技有限公司"),
            started_at=timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 5)), tz),
            duration_seconds=90,
            tag=reached,
        )
    return day


def test_a_manager_opens_the_heatmap(desktop_page, org, yesterday_touches):
    page = desktop_page
    login(page, "manager_east", org.password)
    page.goto("/")
    page.get_by_test_id("nav-performance").get_by_role("button").click()  # the section's menu
    page.get_by_test_id("nav-performance").get_by_role("link", name="Heatmap").click()
    page.wait_for_url("**/reports/heatmap/")
    expect(page.get_by_test_id("heatmap-chart")).to_have_attribute("data-rendered", "1")
    rows = page.get_by_test_id("heatmap-row")
    expect(rows).to_have_count(3)  # rep A, rep B (East), rep C (Shanghai)
    table = page.get_by_test_id("heatmap-table")
    for name in ("Rep A", "Rep B", "Rep C"):
        expect(table).to_contain_text(name)
    expect(table).not_to_contain_text("Rep D")
    expect(page.get_by_test_id("heatmap-effective")).to_have_text("3")
    expect(page.get_by_test_id("heatmap-idle")).to_contain_text("Rep B")
    expect(page.get_by_test_id("heatmap-default-day")).to_contain_text(
        yesterday_touches.isoformat()
    )
    # a canvas was drawn with a height for three rows
    assert page.locator("[data-testid=heatmap-chart] canvas").count() >= 1
    page.screenshot(path="/tmp/heatmap.png", full_page=True)
    # the previous working day is one click away
    page.get_by_test_id("heatmap-previous").click()
    expect(page.get_by_test_id("heatmap-effective")).to_have_text("0")
    # Shanghai only
    page.get_by_test_id("heatmap-team").select_option(str(org.shanghai.pk))
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("heatmap-row")).to_have_count(1)


def test_a_rep_logging_a_visit_sees_the_snapshot(desktop_page, org):
    account = account_for(org.rep_a, name="杭州云帆智能科技有限公司")
    make_complaint(account, summary="发货延迟", severity="major")
    page = desktop_page
    login(page, "rep_a", org.password)
    page.goto(f"/activities/check-in/?account={account.pk}&kind=visit")
    snapshot = page.get_by_test_id("account-snapshot")
    expect(snapshot).to_be_visible()
    expect(snapshot.get_by_test_id("snapshot-complaints")).to_contain_text("发货延迟")
    expect(snapshot.get_by_test_id("snapshot-knowledge")).to_be_visible()
