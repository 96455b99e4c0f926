"""The menu: sections per role, and exactly one highlighted section, the one whose entry
owns the current page most specifically (issue 13 item 6)."""

import re

import pytest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from salesops.aftersales.tests.factories import make_complaint
from salesops.customers.tests.factories import make_account, make_contact
from salesops.revenue.tests.factories import make_contract
from salesops.web import context_processors as nav
from salesops.web.context_processors import MENU, build_sections, current_entry, entry


@pytest.mark.parametrize(
    ("view_name", "url_name", "section"),
    [
        ("home", "home", "home"),
        ("leads:lead_list", "leads:lead_list", "leads"),
        ("leads:lead_detail", "leads:lead_list", "leads"),
        ("leads:lead_reassign", "leads:lead_list", "leads"),
        ("leads:quick_entry", "leads:quick_entry", "leads"),
        ("leads:dwell_report", "leads:dwell_report", "leads"),
        ("activities:check_in", "activities:activity_list", "leads"),
        ("activities:activity_export", "activities:activity_list", "leads"),
        ("customers:account_detail", "customers:account_list", "customers"),
        ("customers:account_360", "customers:account_list", "customers"),
        ("customers:contact_detail", "customers:contact_list", "customers"),
        ("customers:contact_list", "customers:contact_list", "customers"),
        ("customers:rep_ltv", "customers:rep_ltv", "customers"),
        ("revenue:contract_detail", "revenue:contract_list", "revenue"),
        ("revenue:payment_new", "revenue:payment_list", "revenue"),
        ("revenue:invoice_export", "revenue:invoice_list", "revenue"),
        ("revenue:policy", "revenue:policy", "settings"),
        ("aftersales:complaint_detail", "aftersales:complaint_list", "aftersales"),
        ("aftersales:ticket_edit", "aftersales:ticket_list", "aftersales"),
        ("aftersales:nps_list", "aftersales:nps_list", "aftersales"),
        ("aftersales:renewal_history", "aftersales:renewal_list", "aftersales"),
        ("todos:task_detail", "todos:task_list", "tasks"),
        ("leads:routing_edit", "leads:routing_list", "settings"),
        ("leads:channel_detail", "leads:channel_list", "settings"),
        ("activities:tag_create", "activities:tag_list", "settings"),
        ("automation:firing_list", "automation:rule_list", "settings"),
        ("notifications:delivery_policy", "notifications:channel_list", "settings"),
        ("customization:layout_edit", "customization:definition_list", "settings"),
        ("org:user_change_export", "org:user_change_list", "settings"),
        ("locked_logins", "locked_logins", "settings"),
        ("kpi:drill", "kpi:my_score", "kpi"),
        ("kpi:rep_score", "kpi:my_score", "kpi"),
        ("kpi:points_redeem", "kpi:points_mine", "kpi"),
        ("kpi:points_decide", "kpi:points_approvals", "kpi"),
        ("kpi:compliance_decide", "kpi:compliance", "kpi"),
        ("kpi:version_new", "kpi:scheme_list", "settings"),
        ("kpi:review_policy", "kpi:scheme_list", "settings"),
        ("exchange:job", "exchange:home", "data"),
        ("exchange:job_progress", "exchange:home", "data"),
        ("exchange:policy", "exchange:policy", "settings"),
        ("exchange:industry_templates", "exchange:app_template", "settings"),
        ("exchange:app_template_apply", "exchange:app_template", "settings"),
    ],
)
def test_the_most_specific_entry_owns_the_page(view_name, url_name, section):
    found = current_entry(MENU, view_name)
    assert found is not None
    assert (found.url_name, found.section.key) == (url_name, section)


@pytest.mark.parametrize(
    "view_name", ["", "notifications:inbox", "org:profile", "login", "admin:index"]
)
def test_a_page_outside_the_menu_highlights_nothing(view_name):
    assert current_entry(MENU, view_name) is None


def test_an_exact_name_beats_a_prefix_and_a_longer_prefix_beats_a_namespace():
    broad = entry("leads:lead_list", "broad", "ti-x", nav.LEADS, owns="leads")
    narrow = entry("leads:routing_list", "narrow", "ti-x", nav.SETTINGS, owns="leads:rout*")
    exact = entry("leads:dwell_report", "exact", "ti-x", nav.LEADS, owns="leads:dwell*")
    menu = [broad, narrow, exact]
    assert current_entry(menu, "leads:routing_test") is narrow
    assert current_entry(menu, "leads:lead_claim") is broad
    assert current_entry(menu, "leads:dwell_report") is exact
    # A namespace does not own a name that merely starts with the same letters.
    assert current_entry([entry("org:profile", "x", "ti-x", nav.HOME, owns="or")], "org:x") is None


def test_every_menu_entry_has_a_url_and_a_section_in_order():
    for item in MENU:
        reverse(item.url_name)
        assert item.section in nav.SECTIONS


def test_a_later_apps_line_shows_its_section_only_when_its_url_exists(org):
    base = [e for e in MENU if e.section is not nav.TARGETS]
    menu = [*base, entry("targets:no_such_page", _("Targets"), "ti-target", nav.TARGETS)]
    keys = [s["key"] for s in build_sections(org.rep_a, "home", menu)]
    assert "targets" not in keys
    # An entry whose URL exists adds its section at its place in the order.
    menu = [*base, entry("notifications:inbox", _("Targets"), "ti-target", nav.TARGETS)]
    sections = build_sections(org.rep_a, "notifications:inbox", menu)
    keys = [s["key"] for s in sections]
    assert keys.index("aftersales") < keys.index("targets") < keys.index("tasks")
    targets = sections[keys.index("targets")]
    assert targets["url"] == reverse("notifications:inbox")  # one entry: a plain link
    assert [s["key"] for s in sections if s["active"]] == ["targets"]


def _keys(user):
    return {s["key"]: [i["name"] for i in s["items"]] for s in build_sections(user, "home")}


def test_each_role_sees_the_sections_it_may_open(org):
    rep = _keys(org.rep_a)
    assert list(rep) == [
        "home",
        "leads",
        "customers",
        "deals",
        "revenue",
        "aftersales",
        "targets",
        "kpi",
        "incentives",
        "performance",
        "knowledge",
        "tasks",
        "data",
    ]
    assert rep["incentives"] == ["incentives:my_statement", "incentives:ltv_board"]
    assert rep["targets"] == ["targets:plan_list", "targets:my_target"]
    assert rep["kpi"] == [
        "kpi:my_score",
        "kpi:rankings",
        "kpi:comparison",
        "kpi:radar",
        "kpi:points_mine",
        "kpi:voice_rounds",
        "kpi:credibility",
        "kpi:compliance",
    ]  # no approvals, no coaching plans: those are for managers up
    assert rep["knowledge"] == ["knowledge:list", "pushes:mine"]  # the team view is for managers up
    assert rep["performance"] == [
        "activities:daily_report",
        "activities:daily_report_list",
        "reports:weekly_report",
        "outcomes:board",  # their own numbers since go-live
        "diagnosis:index",  # their own diagnosis
    ]
    assert "leads:quick_entry" in rep["leads"]
    assert "pipeline:approvals" not in rep["deals"]  # a rep never approves
    manager = _keys(org.manager_east)
    assert "pipeline:approvals" in manager["deals"]
    assert manager["knowledge"] == ["knowledge:list", "pushes:mine", "pushes:team"]
    assert "pipeline:configure" not in manager.get("settings", [])
    assert manager["settings"] == ["leads:routing_caps", "org:user_change_list"]
    assert rep["data"] == manager["data"] == ["exchange:home"]  # imports their own records
    admin = _keys(org.admin)
    assert len(admin["settings"]) == sum(e.section is nav.SETTINGS for e in MENU)
    director = _keys(org.director)
    assert "leads:routing_list" in director["settings"]
    assert "customization:definition_list" not in director["settings"]
    finance = _keys(org.finance)
    assert "leads:quick_entry" not in finance["leads"]
    assert finance["performance"] == [
        "activities:daily_report_list",
        "reports:heatmap",
        "outcomes:board",
        "diagnosis:index",
    ]  # reads, never writes
    assert finance["incentives"] == [
        "incentives:statements",
        "incentives:periods",
        "incentives:ltv_board",
    ]  # finance is not paid by the plans: no statement of their own
    assert "incentives:statements" in manager["incentives"]
    assert "incentives:periods" not in manager["incentives"]
    assert "settings" not in _keys(org.cs)
    assert "targets" not in _keys(org.cs)  # customer success has no targets
    assert _keys(org.cs)["kpi"] == ["kpi:coaching"]  # no score; shares coaching plans
    assert "kpi:points_approvals" in manager["kpi"] and "kpi:coaching" in manager["kpi"]
    assert "targets:policy" in admin["settings"] and "targets:policy" in director["settings"]


def _active_sections(html: str) -> list[str]:
    return re.findall(
        r'<li class="nav-item(?: dropdown)? active"[^>]*data-testid="nav-(\w+)"', html
    )


@pytest.fixture
def records(org):
    account = make_account(org.rep_a, name="云帆智能")
    contact = make_contact(account, name="张总")
    contract = make_contract(account, number="HT-NAV-0001")
    complaint = make_complaint(account, summary="交付延期")
    return account, contact, contract, complaint


def test_contacts_and_account_360_highlight_one_section_over_http(client, org, records):
    account, contact, contract, complaint = records
    client.force_login(org.admin)
    pages = {
        "/": "home",
        reverse("customers:contact_list"): "customers",
        reverse("customers:contact_detail", args=[contact.pk]): "customers",
        reverse("customers:account_360", args=[account.pk]): "customers",
        reverse("customers:rep_ltv"): "customers",
        reverse("revenue:contract_detail", args=[contract.pk]): "revenue",
        reverse("revenue:policy"): "settings",
        reverse("aftersales:complaint_detail", args=[complaint.pk]): "aftersales",
        reverse("leads:routing_list"): "settings",
        reverse("todos:task_list"): "tasks",
    }
    for url, section in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert _active_sections(html) == [section], url
        assert html.split("</header>")[0].count('aria-current="page"') == 1, url
    html = client.get(reverse("notifications:inbox")).content.decode()
    assert _active_sections(html) == []


def test_the_floating_quick_entry_is_offered_to_those_who_may_register_leads(client, org):
    client.force_login(org.rep_a)
    html = client.get(reverse("customers:account_list")).content.decode()
    assert 'data-testid="quick-entry-fab"' in html
    assert f'href="{reverse("leads:quick_entry")}"' in html
    # Not on the quick-entry page itself, where it would cover the form.
    assert (
        'data-testid="quick-entry-fab"'
        not in client.get(reverse("leads:quick_entry")).content.decode()
    )
    client.force_login(org.finance)
    html = client.get(reverse("customers:account_list")).content.decode()
    assert 'data-testid="quick-entry-fab"' not in html
    assert 'data-testid="quick-entry-button"' not in html
