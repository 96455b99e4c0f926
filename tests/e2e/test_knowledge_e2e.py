"""A rep logs a visit with the customer's pain point, sees the matched knowledge with its
match percentage beside the form, copies a script (filled for the lead) and finishes
the check-in (SPEC N3)."""

import re

from playwright.sync_api import expect

from salesops.activities.models import Activity
from salesops.knowledge.defaults.load import install_corpus
from salesops.knowledge.models import KnowledgeUsage
from salesops.leads import services as lead_services
from salesops.leads.tests.factories import lead_data, make_channel
from tests.e2e.conftest import login


def test_rep_logs_a_visit_sees_matched_scripts_and_copies_one(desktop_page, org):
    items = install_corpus(author=org.admin)
    lead = lead_services.lead_intake(
        channel=make_channel(),
        data=lead_data(company="苏州恒信精密机械有限公司", contact_name="周经理"),
        owner=org.rep_a,
    ).lead
    page = desktop_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    login(page, "rep_a", org.password)

    page.goto(f"/activities/check-in/?lead={lead.pk}")
    page.click("[data-testid=kind-visit]")
    page.fill("[data-testid=note]", "客户说价格比竞品高")

    matches = page.locator("[data-testid=knowledge-matches]")
    expect(matches).to_contain_text("match with “价格异议应对：客户说我们比竞品贵”")
    script = items["price_vs_competitor"]
    row = page.locator(f"[data-testid=match-row][data-id='{script.pk}']")
    expect(row).to_contain_text(re.compile(r"\d+% match with"))

    # One tap copies the script, filled for this lead, and the copy is recorded.
    with page.expect_response(re.compile(rf"/knowledge/{script.pk}/usage/")):
        row.locator(f"[data-testid=copy-{script.pk}]").click()
    expect(row.locator(f"[data-testid=copy-{script.pk}]")).to_contain_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("适用：客户说") and "周经理您好" in copied and "{{" not in copied
    usage = KnowledgeUsage.objects.get(action="copied")
    assert (usage.user, usage.item, usage.lead) == (org.rep_a, script, lead)
    search = KnowledgeUsage.objects.filter(action="searched").latest("at")
    assert search.query == "客户说价格比竞品高" and search.lead == lead

    # The check-in itself is unchanged: pick a result and finish.
    page.click("[data-testid=tag-demo_booked]")
    page.locator("[data-testid=checkin-submit]").click()
    page.wait_for_url(re.compile(rf"/leads/{lead.pk}/"))
    activity = Activity.objects.get()
    assert (activity.kind, activity.note) == ("visit", "客户说价格比竞品高")
