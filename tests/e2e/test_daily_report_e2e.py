"""SPEC A7 in the browser: a rep on a phone opens the daily report (prefilled from the
day's activities), adds plans and sends it; the manager finds it in the weekly report."""

import datetime as dt
import re

from playwright.sync_api import expect

from salesops.activities import services as activity_services
from salesops.activities.models import DailyReport
from salesops.core import clock
from salesops.customers.tests.factories import make_account
from tests.e2e.conftest import login
from tests.e2e.test_csp import WATCH_VIOLATIONS


def test_rep_sends_a_prefilled_daily_report_and_the_manager_reads_it(
    phone_page, browser, live_server, org
):
    account = make_account(owner=org.rep_a, name="杭州云帆智能科技有限公司")
    activity_services.activity_log(
        actor=org.rep_a,
        kind="call",
        account=account,
        started_at=clock.now() - dt.timedelta(minutes=5),
        duration_seconds=90,
        tag="demo_booked",
    )
    page = phone_page
    page.add_init_script(WATCH_VIOLATIONS)
    login(page, "rep_a", org.password)
    page.goto("/")
    page.click("[data-testid=home-daily-report]")
    page.wait_for_url(re.compile(r"/activities/daily/"))
    done = page.locator("[data-testid=field-done]")
    expect(done).to_have_value(re.compile(r"Call 1.*effective touches: 1"))
    expect(done).to_have_value(re.compile("杭州云帆智能科技有限公司 ×1"))
    # The form fits the phone's width.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    # Plans left empty: refused with the field's message, nothing saved.
    page.click("[data-testid=submit]")
    expect(page.locator("[data-testid=error-plans]")).to_contain_text("is empty")
    assert not DailyReport.objects.exists()

    page.fill("[data-testid=field-plans]", "明天拜访杭州云帆，演示方案")
    page.fill("[data-testid=field-help_needed]", "需要售前支持演示")
    page.click("[data-testid=submit]")
    page.wait_for_url(re.compile(r"/activities/daily/\d+/"))
    expect(page.locator("[data-testid=report-plans]")).to_have_text("明天拜访杭州云帆，演示方案")
    report = DailyReport.objects.get()
    assert report.owner == org.rep_a and report.snapshot["effective"] == 1
    assert page.evaluate("window.__cspViolations") == []

    manager = browser.new_context(viewport={"width": 1366, "height": 900}, base_url=live_server.url)
    desk = manager.new_page()
    desk.set_default_timeout(15_000)
    desk.add_init_script(WATCH_VIOLATIONS)
    login(desk, "manager_east", org.password)
    desk.goto("/reports/weekly/")
    row = desk.locator("[data-testid=rep-row][data-rep=rep_a]")
    expect(row.locator("[data-col=activities]")).to_have_text("1")
    expect(row.locator("[data-col=effective]")).to_have_text("1")
    highlight = desk.locator("[data-testid=highlight]").filter(has_text="Rep A")
    expect(highlight.locator("[data-testid=highlight-help]")).to_contain_text("需要售前支持演示")
    expect(highlight.locator("[data-testid=highlight-done]")).to_contain_text(
        "杭州云帆智能科技有限公司"
    )
    # the print stylesheet is linked for paper only
    assert desk.locator("link[media=print]").count() == 1
    assert desk.evaluate("window.__cspViolations") == []
    manager.close()
