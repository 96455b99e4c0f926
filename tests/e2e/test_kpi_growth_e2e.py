"""KPI growth in a real browser: a customer answers the customer-voice survey on a phone
(three picks, thanks; the same link again says "already answered"), and a rep's points
claim is approved by the manager and shows in the balance."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from salesops.core import clock
from salesops.kpi import periods, voice
from salesops.kpi.models import VoiceMention
from salesops.kpi.tests.factories_growth import closed_accounts
from tests.e2e.conftest import login


@pytest.fixture
def survey_link(org):
    today = clock.today()
    closed_accounts(org.rep_a, 1, today - dt.timedelta(days=1))
    start, _end = periods.quarter_bounds(today)
    round_ = voice.sample_round(start, today, seed=1)
    sample = round_.samples.get()
    return voice.link_path(sample)


def test_a_customer_answers_the_survey_on_a_phone(phone_page, org, survey_link):
    page = phone_page
    page.goto(survey_link)
    expect(page.get_by_test_id("voice-rep")).to_contain_text("Rep A")
    boxes = page.get_by_test_id("voice-action")
    expect(boxes).to_have_count(8)
    for n in (0, 2, 4):
        page.locator(".form-selectgroup-label").nth(n).click()
    expect(boxes.nth(6)).to_be_disabled()  # three picked: the others wait
    page.get_by_test_id("voice-comment").fill("响应很快")
    page.get_by_test_id("voice-submit").click()
    expect(page.get_by_test_id("voice-thanks")).to_be_visible()
    assert VoiceMention.objects.count() == 3

    page.goto(survey_link)
    expect(page.get_by_test_id("voice-link-used")).to_be_visible()
    assert VoiceMention.objects.count() == 3


def test_a_rep_claims_points_and_the_manager_approves(desktop_page, org):
    page = desktop_page
    login(page, "rep_a", org.password)
    page.goto("/kpi/points/")
    expect(page.get_by_test_id("points-balance")).to_have_text("0")
    form = page.get_by_test_id("claim-form")
    form.locator("select[name=kind]").select_option("certification")
    form.locator("input[name=description]").fill("通过产品认证")
    page.get_by_test_id("claim-submit").click()
    expect(page.get_by_test_id("claim-row")).to_have_attribute("data-state", "pending")

    page.context.clear_cookies()
    login(page, "manager_east", org.password)
    page.goto("/kpi/points/approvals/")
    row = page.get_by_test_id("approval-row")
    expect(row).to_contain_text("Rep A")
    row.get_by_test_id("approve").click()
    expect(page.get_by_test_id("empty-state")).to_be_visible()

    page.context.clear_cookies()
    login(page, "rep_a", org.password)
    page.goto("/kpi/points/")
    expect(page.get_by_test_id("points-balance")).to_have_text("50")
    expect(page.get_by_test_id("claim-row")).to_have_attribute("data-state", "approved")
