"""Navigation and layout (issue 13 item 6), in a real browser.

Signed in as each demo role, every page of the role's menu and a detail page of each kind
(a lead, an account, its Account 360, a contract, a complaint) is opened at 1366×900 and
at 375×812, in zh-Hans and in English. No page scrolls sideways, exactly one menu section
is highlighted (the one holding the page), and on a phone the floating quick-entry button
is there for those who may register leads.

One browser context per role, viewport and language; the session of the role's first
login is reused by the other three.
"""

import datetime as dt

import pytest
from django.urls import reverse

from salesops.aftersales.tests.factories import make_complaint
from salesops.core import clock
from salesops.customers.tests.factories import make_account, make_contact
from salesops.leads import services as lead_services
from salesops.leads.tests.factories import lead_data, make_channel
from salesops.revenue.tests.factories import make_contract, make_payment
from tests.e2e.conftest import login

ROLES = ("rep_a", "manager_east", "director", "admin", "finance", "cs")
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1366, "height": 900}},
    "phone": {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True},
}
LANGUAGES = ("zh-hans", "en")

# What the browser measures on each page.
# ``width`` is the viewport's: a mobile browser zooms out on a page wider than its screen,
# and then reports that wider width as window.innerWidth.
MEASURE = """(width) => {
  const vw = Math.min(window.innerWidth, width);
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > vw + 1) {
      let inScroller = false;
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const ox = getComputedStyle(p).overflowX;
        if (ox === 'auto' || ox === 'scroll' || ox === 'hidden') { inScroller = true; break; }
      }
      if (!inScroller && getComputedStyle(el).position !== 'fixed') {
        wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
          (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
          ' right=' + Math.round(r.right));
      }
    }
  }
  const active = [...document.querySelectorAll('#navbar-menu > .navbar-nav > .nav-item.active')];
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    width: vw,
    wide: wide.slice(0, 5),
    active: active.map(li => li.dataset.testid),
    activeHrefs: active.flatMap(li => [...li.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))),
    // A label squeezed to one letter a line: taller than four of its lines.
    squeezed: [...document.querySelectorAll('.page-title, .nav-link-title, .btn, th, .form-label')]
      .filter(e => {
        const r = e.getBoundingClientRect();
        const line = parseFloat(getComputedStyle(e).lineHeight) || 20;
        return r.width > 0 && e.innerText.trim().length > 4 && r.height > 4 * line;
      }).map(e => e.innerText.trim().slice(0, 30)).slice(0, 5),
    search: [...document.querySelectorAll('input[type=search]')]
      .map(e => e.getBoundingClientRect().width).filter(w => w > 0),
    fab: !!document.querySelector('[data-testid=quick-entry-fab]') &&
      getComputedStyle(document.querySelector('[data-testid=quick-entry-fab]')).display !== 'none',
  };
}"""


@pytest.fixture
def details(org):
    """A detail page of each kind, visible to rep_a and up the chain, with their section."""
    today = clock.today()
    account = make_account(org.rep_a, name="杭州云帆智能科技股份有限公司华东区域销售分公司")
    make_contact(account, name="欧阳娜娜", decision_role="signatory")
    contract = make_contract(account, number="HT-LAYOUT-2026-000001")
    make_payment(contract, "1234567.89")
    complaint = make_complaint(
        account,
        summary="交付延期，客户要求赔偿并更换项目经理" * 3,
        severity="major",
        raised_on=today - dt.timedelta(days=2),
    )
    lead = lead_services.lead_intake(
        channel=make_channel(),
        data=lead_data(company="杭州云帆智能科技有限公司"),
        owner=org.rep_a,
    ).lead
    return {
        reverse("leads:lead_detail", args=[lead.pk]): "nav-leads",
        reverse("customers:account_detail", args=[account.pk]): "nav-customers",
        reverse("customers:account_360", args=[account.pk]): "nav-customers",
        reverse("revenue:contract_detail", args=[contract.pk]): "nav-revenue",
        reverse("aftersales:complaint_detail", args=[complaint.pk]): "nav-aftersales",
    }


def _menu_links(page) -> list[str]:
    hrefs = page.eval_on_selector_all(
        "#navbar-menu a[href]", "els => els.map(e => e.getAttribute('href'))"
    )
    return [h for h in dict.fromkeys(hrefs) if h.startswith("/")]


def _check(page, url, width, *, expect_section=None, menu_page=False) -> list[str]:
    response = page.goto(url)
    status = response.status if response else None
    if status != 200:
        # A detail page a role may not open (403/404) is fine; a menu entry is not.
        return [f"{url}: HTTP {status}"] if menu_page else []
    m = page.evaluate(MEASURE, width)
    problems = []
    if m["scrollWidth"] > m["width"] + 1 or m["innerWidth"] > width:
        problems.append(f"{url}: {m['scrollWidth']} px wide in {width}: {m['wide']}")
    if len(m["active"]) != 1:
        problems.append(f"{url}: highlighted sections {m['active']}")
    elif expect_section and m["active"] != [expect_section]:
        problems.append(f"{url}: highlighted {m['active']}, expected {expect_section}")
    elif menu_page and url not in m["activeHrefs"]:
        problems.append(f"{url}: highlighted {m['active']} does not hold the link")
    if m["squeezed"]:
        problems.append(f"{url}: labels squeezed to one letter a line: {m['squeezed']}")
    # The search box of a list: at least 200 px on a desktop, the card's width on a phone.
    narrow = [w for w in m["search"] if w < min(200, width * 0.75)]
    if narrow:
        problems.append(f"{url}: search box {narrow} px wide")
    return problems


def _check_open_menus(page, width, device) -> list[str]:
    """Each section's dropdown, opened, stays inside the screen (on a phone, inside the
    opened menu)."""
    problems = []
    if device == "phone":
        page.click("[data-testid=menu-toggle]")
    for toggle in page.locator("#navbar-menu .dropdown > .dropdown-toggle").all():
        toggle.click()
        m = page.evaluate(MEASURE, width)
        menu = toggle.locator("xpath=following-sibling::div[contains(@class, 'dropdown-menu')]")
        box = menu.bounding_box()
        if box is None or box["width"] == 0:
            problems.append(f"menu {toggle.inner_text()!r} did not open")
        elif box["x"] < 0 or box["x"] + box["width"] > width + 1:
            problems.append(f"menu {toggle.inner_text()!r} leaves the screen: {box}")
        if m["scrollWidth"] > m["width"] + 1 or m["innerWidth"] > width:
            problems.append(f"menu {toggle.inner_text()!r} open: {m['scrollWidth']} px wide")
        if device == "desktop":
            toggle.click()  # close it again
    return problems


@pytest.mark.parametrize("role", ROLES)
def test_no_page_scrolls_sideways_and_one_section_is_highlighted(
    browser, live_server, transactional_db, org, details, role
):
    user = getattr(org, role)
    may_enter_leads = not user.is_read_only_role
    state = None
    problems = []
    for language in LANGUAGES:
        user.language = language
        user.save(update_fields=["language"])
        for device, options in VIEWPORTS.items():
            context = browser.new_context(base_url=live_server.url, storage_state=state, **options)
            page = context.new_page()
            page.set_default_timeout(15_000)
            try:
                if state is None:
                    login(page, role, org.password)
                    state = context.storage_state()
                page.goto("/")
                links = _menu_links(page)
                assert len(links) >= 5, links
                width = options["viewport"]["width"]
                fab = page.evaluate(MEASURE, width)["fab"]
                if fab != (device == "phone" and may_enter_leads):
                    problems.append(f"{language} {device}: floating quick entry shown={fab}")
                found = _check_open_menus(page, width, device)
                for url in links:
                    found += _check(page, url, width, menu_page=True)
                for url, section in details.items():
                    found += _check(page, url, width, expect_section=section)
                problems += [f"{language} {device} {p}" for p in found]
            finally:
                context.close()
    assert problems == [], "\n".join(problems)
