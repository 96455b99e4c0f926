"""Leads in a real browser: a rep registers a lead on a phone in one tap; a manager's
lead list shows the SLA badge turn red once the first-contact SLA is breached."""

import datetime as dt
import re
from io import StringIO
from zoneinfo import ZoneInfo

from django.core.management import call_command
from playwright.sync_api import expect

from salesops.core import clock
from salesops.core.calendar import default_calendar
from salesops.leads.models import Lead
from salesops.leads.tests.factories import intake, make_channel, make_rule
from tests.e2e.conftest import login

SH = ZoneInfo("Asia/Shanghai")


def test_rep_on_a_phone_registers_a_lead_in_one_tap(phone_page, org):
    page = phone_page
    login(page, "rep_a", org.password)
    page.goto("/leads/new/")
    page.fill("[data-testid=quick-contact_name]", "王芳")
    page.fill("[data-testid=quick-phone]", "138 0013 8000")
    page.fill("[data-testid=quick-company]", "杭州云帆智能科技有限公司")
    page.fill("[data-testid=quick-need]", "想了解产线数字化方案")
    save = page.locator("[data-testid=quick-save]")
    expect(save).to_be_in_viewport()
    save.tap()
    page.wait_for_url(re.compile(r"/leads/\d+/$"))
    lead = Lead.objects.get()
    assert page.url.endswith(f"/leads/{lead.pk}/")
    assert lead.owner == org.rep_a
    assert lead.phone == "+8613800138000"
    expect(page.locator("[data-testid=lead-fields]")).to_contain_text("杭州云帆智能科技有限公司")
    expect(page.locator("[data-testid=checkin-button]")).to_be_visible()
    # The page fits the phone: nothing scrolls sideways.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375 + 1

    # After the call, the rep checks in from the lead page: one result tap, a short note.
    page.locator("[data-testid=checkin-button]").tap()
    page.wait_for_url(re.compile(r"/activities/check-in/"))
    page.fill("[data-testid=duration-seconds]", "95")
    page.locator("[data-testid=tag-needs_tech]").tap()
    page.fill("[data-testid=note]", "需要技术演示")
    page.locator("[data-testid=checkin-submit]").tap()
    page.wait_for_url(re.compile(rf"/leads/{lead.pk}/"))
    lead.refresh_from_db()
    assert lead.first_contact_at is not None
    assert (lead.status, lead.sla_state) == ("contacted", "")
    activity = lead.activities.get()
    assert (activity.tag.code, activity.effective, activity.note) == (
        "needs_tech",
        True,
        "需要技术演示",
    )


def test_quick_entry_offers_the_source_channel_as_a_dropdown(phone_page, org):
    referral = make_channel(name="老客户转介绍", kind="referral")
    make_channel(name="CRM 接口", kind="api")
    page = phone_page
    login(page, "rep_a", org.password)
    page.goto("/leads/new/")
    channel = page.locator("[data-testid=lead-channel]")
    expect(channel).to_be_visible()
    options = channel.locator("option").all_text_contents()
    assert "老客户转介绍" in options and "CRM 接口" not in options
    assert channel.evaluate("el => el.options[el.selectedIndex].text") == options[0]
    page.fill("[data-testid=quick-contact_name]", "李雷")
    page.fill("[data-testid=quick-phone]", "139 0013 9000")
    page.fill("[data-testid=quick-company]", "烟台鑫昌连锁超市")
    page.fill("[data-testid=quick-need]", "门店收银系统")
    channel.select_option(label="老客户转介绍")
    page.locator("[data-testid=quick-save]").tap()
    page.wait_for_url(re.compile(r"/leads/\d+/$"))
    lead = Lead.objects.get()
    assert lead.channel == referral
    assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 1


def test_managers_lead_list_shows_the_sla_badge_turn_red_after_the_breach(desktop_page, org):
    from salesops.automation.models import Rule
    from salesops.leads.defaults import install_rules

    # A working day after today, 10:00: the list compares the due time with the real
    # clock, so the lead must still be inside its SLA when the page first loads.
    day = default_calendar().next_workday(clock.localnow().date() + dt.timedelta(days=2))
    assigned = dt.datetime.combine(day, dt.time(10, 0), tzinfo=SH)
    install_rules()
    Rule.objects.update(watch_from=assigned - dt.timedelta(hours=1))
    make_rule(members=[{"user_id": org.rep_a.pk, "weight": 1}], name="to rep A")
    with clock.frozen(assigned):
        lead = intake().lead
    assert lead.owner == org.rep_a and lead.sla_state == "running"

    page = desktop_page
    login(page, "manager_east", org.password)
    page.goto("/leads/")
    badge = page.locator(f"[data-testid=lead-row][data-id='{lead.pk}'] [data-testid=sla-badge]")
    expect(badge).to_have_attribute("data-state", "running")
    expect(badge).not_to_have_class(re.compile(r"\bbg-red\b"))

    # 11:30 is 90 working minutes after the assignment: past the 60-minute SLA.
    call_command(
        "tick", "--now", (assigned + dt.timedelta(minutes=90)).isoformat(), stdout=StringIO()
    )
    lead.refresh_from_db()
    assert lead.sla_state == "breached"
    page.reload()
    badge = page.locator(f"[data-testid=lead-row][data-id='{lead.pk}'] [data-testid=sla-badge]")
    expect(badge).to_have_attribute("data-state", "breached")
    expect(badge).to_have_class(re.compile(r"\bbg-red\b"))
    # Painted in the theme's red, not merely carrying the class.
    same_as_red = badge.evaluate(
        """el => {
          const probe = document.createElement("span");
          probe.className = "badge bg-red";
          document.body.appendChild(probe);
          const red = getComputedStyle(probe).backgroundColor;
          probe.remove();
          return getComputedStyle(el).backgroundColor === red;
        }"""
    )
    assert same_as_red


def test_admin_changes_a_reps_daily_cap_inline_on_the_routing_page(desktop_page, org):
    page = desktop_page
    login(page, "admin", org.password)
    page.goto("/leads/routing/")
    row = page.locator(f"[data-testid=cap-row][data-user='{org.rep_a.pk}']")
    expect(row).to_be_visible()
    row.locator("[data-testid=cap-input]").fill("3")
    row.locator("[data-testid=cap-save]").click()
    page.wait_for_load_state()
    row = page.locator(f"[data-testid=cap-row][data-user='{org.rep_a.pk}']")
    expect(row.locator("[data-testid=cap-today]")).to_have_text("0 / 3")
    expect(row.locator("[data-testid=cap-input]")).to_have_value("3")
    org.rep_a.refresh_from_db()
    assert org.rep_a.daily_lead_cap == 3
    # The table scrolls inside its card, never the card itself (the page width at 1366 px
    # is the navigation's, issue 13 item 6).
    card = page.locator("[data-testid=caps-card]")
    assert card.evaluate("el => el.scrollWidth <= el.clientWidth + 1")
