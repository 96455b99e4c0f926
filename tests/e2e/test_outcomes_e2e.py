"""The outcome board in a real browser (issue 21): the director sees the headline on the
home page, follows it to the board, where every metric card shows its definition and its
ECharts trend line is drawn under the CSP; the table lists the teams and reps. An admin
backfills from Settings · Outcomes and follows the run's progress bar to its result."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from salesops.activities.models import Activity
from salesops.leads.models import Lead
from salesops.leads.tests.factories import ChannelFactory
from salesops.outcomes import services
from salesops.outcomes.models import BackfillRun, BackfillState, OutcomePolicy
from tests.e2e.conftest import login


def _at(day, hour):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def board(org):
    week = services.last_complete_week()
    channel = ChannelFactory()
    for n, (owner, touched_after) in enumerate(((org.rep_a, 2), (org.rep_d, 3))):
        lead = Lead.objects.create(
            channel=channel,
            owner=owner,
            team=owner.team,
            contact_name=f"客户{n}",
            phone=f"+8613900000{n:03d}",
            company=f"公司{n}",
            need="需要报价",
        )
        Lead.objects.filter(pk=lead.pk).update(created_at=_at(week, 10))
        Activity.objects.create(
            kind="call",
            owner=owner,
            lead=lead,
            effective=True,
            duration_seconds=60,
            started_at=_at(week + dt.timedelta(days=touched_after), 10),
        )
    OutcomePolicy.objects.create(go_live_on=week)
    services.snapshot_week(week - dt.timedelta(weeks=1))
    services.snapshot_week(week)
    return week


def test_the_director_follows_the_headline_to_the_board(desktop_page, org, board):
    page = desktop_page
    login(page, "director", org.password)
    page.goto("/")
    headline = page.get_by_test_id("outcomes-headline")
    expect(headline).to_be_visible()
    expect(headline.get_by_test_id("headline-item")).to_have_count(4)
    expect(headline.locator("[data-metric=followup_cycle]")).to_contain_text("2.5")
    headline.get_by_test_id("outcomes-link").click()
    page.wait_for_url("**/outcomes/")
    cards = page.get_by_test_id("metric-card")
    expect(cards).to_have_count(12)
    followup = page.locator("[data-testid=metric-card][data-metric=followup_cycle]")
    expect(followup.get_by_test_id("metric-value")).to_contain_text("2.5")
    expect(followup.get_by_test_id("definition")).to_contain_text("working days from intake")
    expect(followup.locator("[data-chart]")).to_have_attribute("data-rendered", "1")
    table = page.get_by_test_id("outcome-table")
    expect(table).to_contain_text("South")
    expect(table).to_contain_text("Rep A")
    # A team's own board from the table.
    table.get_by_role("link", name="South", exact=True).click()
    expect(
        page.locator("[data-testid=metric-card][data-metric=followup_cycle]").get_by_test_id(
            "metric-value"
        )
    ).to_contain_text("3")


def test_an_admin_follows_a_backfill_from_its_bar_to_its_result(desktop_page, org, board):
    page = desktop_page
    login(page, "admin", org.password)
    running = services.backfill_start(actor=org.admin)
    BackfillRun.objects.filter(pk=running.pk).update(
        state=BackfillState.RUNNING, progress=40, weeks=5
    )
    page.goto("/outcomes/settings/")
    bar = page.get_by_test_id("backfill-bar")
    expect(bar).to_have_attribute("aria-valuenow", "40")
    # drawn by web/app.js from data-width (no inline style under the CSP)
    assert bar.evaluate("el => el.style.width") == "40%"
    expect(page.get_by_test_id("backfill-running")).to_contain_text("40 % of 5 weeks")
    expect(page.get_by_test_id("backfill")).to_be_disabled()

    # The worker finishes it: the page's poll (every 2 s) brings the result and the button.
    services.backfill_execute(BackfillRun.objects.get(pk=running.pk))
    expect(page.get_by_test_id("backfill-done")).to_be_visible()
    expect(page.get_by_test_id("backfill")).to_be_enabled()

    # Another from the button (tasks run at once under test, as the worker would).
    page.get_by_test_id("backfill").click()
    expect(page.get_by_text("The backfill is queued")).to_be_visible()
    done = page.get_by_test_id("backfill-done")
    expect(done).to_contain_text("weeks")
    latest = BackfillRun.objects.order_by("-pk").first()
    assert latest.pk != running.pk and latest.state == BackfillState.DONE
    expect(done).to_contain_text(f"{latest.weeks} weeks, {latest.rows} values written")
    assert page.get_by_test_id("backfill-bar").evaluate("el => el.style.width") == "100%"
