"""A rep opens a course pushed to them (A6's pricing micro-course), is told the study
note comes first when closing, submits the note, closes it; the manager's team page
shows every state."""

import re

from playwright.sync_api import expect

from salesops.knowledge import defaults_pushes
from salesops.knowledge.models import Push
from salesops.knowledge.tests import push_factories as pf
from tests.e2e.conftest import login


def test_rep_studies_a_pushed_course_writes_the_note_and_closes_it(desktop_page, org):
    course = defaults_pushes.pricing_course()
    push = pf.push(org.rep_a, item=course, requires_note=True, reason="你已连续 5 次记录“价格敏感”")
    page = desktop_page
    login(page, "rep_a", org.password)

    page.goto("/knowledge/pushes/")
    row = page.locator(f"[data-testid=push-row][data-push='{push.pk}']")
    expect(row.locator("[data-testid=push-state]")).to_have_attribute("data-state", "delivered")
    row.locator("[data-testid=push-open]").click()

    page.wait_for_url(re.compile(rf"/knowledge/pushes/{push.pk}/$"))
    expect(page.locator("[data-testid=item-body]")).to_contain_text("让价必须换条件")
    expect(page.locator("[data-testid=push-reason]")).to_contain_text("价格敏感")
    assert Push.objects.get(pk=push.pk).read_at is not None

    # Closing before the note is refused, saying why.
    page.click("[data-testid=push-close]")
    expect(page.locator("[data-testid=note-error]")).to_contain_text("needs a study note")
    assert Push.objects.get(pk=push.pk).closed_at is None

    page.fill(
        "[data-testid=note-input]", "客户说贵时先问和谁比，再用分层报价，让价一定换预付比例。"
    )
    page.click("[data-testid=note-submit]")
    expect(page.get_by_role("alert").filter(has_text="Your study note is saved")).to_be_visible()
    expect(page.locator("[data-testid=push-state]").first).to_have_attribute("data-state", "noted")

    page.click("[data-testid=push-close]")
    page.wait_for_url(re.compile(r"/knowledge/pushes/$"))
    expect(row.locator("[data-testid=push-state]")).to_have_attribute("data-state", "closed")
    push = Push.objects.get(pk=push.pk)
    assert push.note.startswith("客户说贵时") and push.note_at and push.closed_at

    # The manager sees the states on the team page.
    page.context.clear_cookies()
    login(page, "manager_east", org.password)
    page.goto("/knowledge/pushes/team/")
    summary = page.locator(f"[data-testid=summary-row][data-user='{org.rep_a.pk}']")
    expect(summary.locator("[data-testid=noted]")).to_have_text("1 / 1")
    expect(summary.locator("[data-testid=closed]")).to_have_text("1")
