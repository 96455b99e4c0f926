"""The home page per role in a real browser (issue 13 item 1): a manager reassigns a lead
from the team board over the rep's daily cap with a reason (L5); every role's home page
fits 375 px and 1366 px in zh-Hans and English without scrolling sideways."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from salesops.core import clock
from salesops.leads.models import Assignment, DailyLeadCount, Lead
from salesops.leads.tests.factories import LeadFactory
from tests.e2e.conftest import login

ROLES = {
    "rep_a": "home-rep",
    "manager_east": "home-manager",
    "director": "home-director",
    "finance": "home-finance",
    "cs": "home-cs",
    "admin": "home-admin",
}


def overdue_lead(owner):
    lead = LeadFactory(owner=owner)
    Lead.objects.filter(pk=lead.pk).update(
        assigned_at=clock.now() - dt.timedelta(hours=2),
        sla_due_at=clock.now() - dt.timedelta(hours=1),
        sla_state="breached",
    )
    return lead


def test_manager_reassigns_from_the_team_board_over_the_cap(desktop_page, org):
    page = desktop_page
    org.rep_b.daily_lead_cap = 0
    org.rep_b.save(update_fields=["daily_lead_cap"])
    lead = overdue_lead(org.rep_a)
    login(page, "manager_east", org.password)
    page.goto("/?show=breached")
    row = page.locator(f"[data-testid=board-lead][data-lead='{lead.pk}']")
    expect(row).to_be_visible()
    expect(page.locator("[data-testid=rep-row]")).to_have_count(3)
    # without the override the cap holds, and the message says who, the cap and the count
    row.locator("[data-testid=reassign-open]").click()
    row.locator("[data-testid=board-owner]").select_option(str(org.rep_b.pk))
    row.locator("[data-testid=board-reason]").fill("客户指定 Rep B 跟进")
    row.locator("[data-testid=board-reassign-save]").click()
    expect(page.locator(".alert-danger, .alert").first).to_contain_text("Rep B")
    expect(page.locator("body")).to_contain_text("daily cap is 0")
    assert Lead.objects.get(pk=lead.pk).owner == org.rep_a
    # with the override and the reason it goes through and is recorded
    row = page.locator(f"[data-testid=board-lead][data-lead='{lead.pk}']")
    row.locator("[data-testid=reassign-open]").click()
    row.locator("[data-testid=board-owner]").select_option(str(org.rep_b.pk))
    row.locator("[data-testid=board-reason]").fill("客户指定 Rep B 跟进")
    row.locator("[data-testid=board-override]").check()
    row.locator("[data-testid=board-reassign-save]").click()
    expect(page.locator("body")).to_contain_text("reassigned to Rep B")
    assert Lead.objects.get(pk=lead.pk).owner == org.rep_b
    last = Assignment.objects.filter(lead=lead).last()
    assert (last.over_cap, last.reason) == (True, "客户指定 Rep B 跟进")
    assert DailyLeadCount.objects.get(user=org.rep_b, day=clock.today()).count == 1
    # the board's rep row shows the new count against the cap
    rep_b = page.locator(
        f"[data-testid=rep-row][data-rep='{org.rep_b.pk}'] [data-testid=rep-today]"
    )
    expect(rep_b).to_have_text("1 / 0")


def _sideways(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_role_home_fits_a_phone_and_a_laptop(browser, live_server, org, language):
    overdue_lead(org.rep_a)
    for user in (getattr(org, name) for name in ROLES):
        user.language = language
        user.save(update_fields=["language"])
    for width, height in ((375, 812), (1366, 900)):
        # The offline app's worker is active: it caches pages in the background while
        # this test swaps users by clearing cookies (test_a_late_background_answer_…).
        context = browser.new_context(
            viewport={"width": width, "height": height},
            base_url=live_server.url,
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        for username, testid in ROLES.items():
            login(page, username, org.password)
            page.goto("/")
            content = page.locator(f"[data-testid={testid}]")
            expect(content).to_be_visible()
            # the home page's own content stays inside the window (wide tables scroll
            # inside their card)
            overflow = content.evaluate(
                "el => Math.max(...[el, ...el.querySelectorAll('.card')].map("
                "e => e.getBoundingClientRect().right)) - window.innerWidth"
            )
            assert overflow <= 1, (username, width, language, overflow)
            if width == 375:
                assert _sideways(page) <= 1, (username, width, language)
            page.context.clear_cookies()
        context.close()


def test_a_late_background_answer_leaves_the_login_cookie(browser, live_server, org):
    """The offline app's worker caches pages in the background; one of those fetches,
    sent with the old user's cookies, answers after the next user opened the login page.
    Its answer must not put the old CSRF cookie back under the login form."""
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    login(page, "rep_a", org.password)
    page.goto("/")
    # the worker is installed and has cached the quick-entry page in the background
    page.wait_for_function(
        """async () => {
            for (const key of await caches.keys()) {
                if (!key.startsWith('salesops-pages-')) continue;
                if (await (await caches.open(key)).match('/leads/new/')) return true;
            }
            return false;
        }""",
        polling=200,
    )
    old = {c["name"]: c["value"] for c in context.cookies()}
    context.clear_cookies()
    page.goto("/login/")
    fresh = {c["name"]: c["value"] for c in context.cookies()}["csrftoken"]
    assert fresh != old["csrftoken"]
    # the late answer, as the worker's fetch() sends it: the old cookies, not a navigation
    late = context.request.get(
        "/leads/new/",
        headers={
            "Cookie": f"csrftoken={old['csrftoken']}; sessionid={old['sessionid']}",
            "Sec-Fetch-Mode": "cors",
        },
    )
    # it reached the page as rep_a (the old session), not the login page
    assert late.status == 200 and late.url.endswith("/leads/new/")
    assert "csrfmiddlewaretoken" in late.text()
    assert {c["name"]: c["value"] for c in context.cookies()}["csrftoken"] == fresh
    page.fill("#id_username", "rep_b")
    page.fill("#id_password", org.password)
    page.click("[data-testid=login-submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
    expect(page.locator("body")).not_to_contain_text("CSRF")
    context.close()
