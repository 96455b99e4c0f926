"""A rep on a phone checks in after a call: no result → told to pick one; result and
note → saved, back on the lead."""

import re

from playwright.sync_api import expect

from salesops.activities.models import Activity
from salesops.leads import services as lead_services
from salesops.leads.tests.factories import lead_data, make_channel
from tests.e2e.conftest import login


def test_rep_on_a_phone_checks_in_after_a_call(phone_page, org):
    lead = lead_services.lead_intake(
        channel=make_channel(), data=lead_data(company="杭州云帆智能科技有限公司"), owner=org.rep_a
    ).lead
    page = phone_page
    login(page, "rep_a", org.password)

    page.goto(f"/activities/check-in/?lead={lead.pk}")
    submit = page.locator("[data-testid=checkin-submit]")
    expect(submit).to_be_visible()
    # The whole screen fits the phone's width: nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    # Without a result the check-in is refused, and nothing is saved.
    page.fill("[data-testid=duration-seconds]", "45")
    submit.click()
    expect(page.locator("[data-testid=error-tag]")).to_contain_text(
        "Pick a result to finish the check-in"
    )
    assert not Activity.objects.exists()

    # Pick a result (a big button), type a short note, watch the counter, submit.
    page.click("[data-testid=tag-demo_booked]")
    expect(page.locator("#tag-demo_booked")).to_be_checked()
    page.fill("[data-testid=note]", "周五上门演示")
    expect(page.locator("[data-testid=note-counter]")).to_contain_text("6 / 20")
    # The input itself stops at 20 characters.
    assert page.get_attribute("[data-testid=note]", "maxlength") == "20"
    page.locator("[data-testid=checkin-submit]").click()

    page.wait_for_url(re.compile(rf"/leads/{lead.pk}/"))
    expect(page.get_by_role("alert").filter(has_text="Check-in saved")).to_be_visible()
    activity = Activity.objects.get()
    assert activity.tag.code == "demo_booked"
    assert activity.note == "周五上门演示"
    assert activity.owner == org.rep_a and activity.lead_id == lead.pk
    assert activity.duration_seconds == 45 and activity.effective
    lead.refresh_from_db()
    assert lead.first_contact_at is not None


def test_timer_duration_is_kept_apart_and_an_open_call_is_brought_back(phone_page, org):
    """SPEC A3: stopping the call timer marks the duration as measured, typing marks it
    typed (and the list says so). SPEC A2: an open call shows a banner until finished."""
    from salesops.activities import services as activity_services

    lead = lead_services.lead_intake(
        channel=make_channel(), data=lead_data(company="烟台鑫昌连锁超市"), owner=org.rep_a
    ).lead
    page = phone_page
    login(page, "rep_a", org.password)

    # The timer: start, wait until it shows a second, stop; the duration is the timer's
    page.goto(f"/activities/check-in/?lead={lead.pk}")
    page.click("[data-testid=timer-toggle]")
    expect(page.locator("[data-testid=timer]")).to_have_text(re.compile(r"00:0[1-9]"))
    page.click("[data-testid=timer-toggle]")
    expect(page.locator("[data-testid=duration-source]")).to_have_value("timer")
    page.click("[data-testid=tag-demo_booked]")
    page.locator("[data-testid=checkin-submit]").click()
    page.wait_for_url(re.compile(rf"/leads/{lead.pk}/"))
    assert Activity.objects.get().duration_source == "timer"

    # Typed by hand: marked as typed on the list
    page.goto(f"/activities/check-in/?lead={lead.pk}")
    page.fill("[data-testid=duration-minutes]", "3")
    expect(page.locator("[data-testid=duration-source]")).to_have_value("typed")
    page.click("[data-testid=tag-call_back]")
    page.locator("[data-testid=checkin-submit]").click()
    page.wait_for_url(re.compile(rf"/leads/{lead.pk}/"))
    typed = Activity.objects.get(tag__code="call_back")
    assert typed.duration_source == "typed" and typed.duration_seconds == 180
    page.goto("/activities/")
    expect(page.locator("[data-testid=duration-typed]")).to_have_count(1)
    expect(page.locator("[data-testid=unfinished-banner]")).to_have_count(0)

    # An open call (started over the API or the phone app) comes back until finished
    open_call = activity_services.activity_log(actor=org.rep_a, kind="call", lead=lead)
    page.goto("/activities/")
    expect(page.locator("[data-testid=unfinished-banner]")).to_be_visible()
    page.click(f"[data-id='{open_call.pk}'] [data-testid=finish-link]")
    page.click("[data-testid=tag-no_answer]")
    page.locator("[data-testid=checkin-submit]").click()
    expect(page.get_by_role("alert").filter(has_text="Check-in finished")).to_be_visible()
    open_call.refresh_from_db()
    assert open_call.tag.code == "no_answer" and not open_call.effective
    page.goto("/activities/")
    expect(page.locator("[data-testid=unfinished-banner]")).to_have_count(0)
