"""The compliance review queue in a real browser (K10): a manager opens the queue,
confirms one finding and dismisses another with a reason (the dismissal without a reason
is stopped first); the owner's quality metric is marked for recomputation."""

import pytest
from playwright.sync_api import expect

from salesops.kpi import compliance
from salesops.kpi.models import ComplianceFinding, DirtyRep, FindingState
from salesops.kpi.tests.factories_review import log_note
from tests.e2e.conftest import login


@pytest.fixture
def findings(org):
    first = log_note(org.rep_a, "保证收益，放心签")
    second = log_note(org.rep_b, "私下付款可以再优惠")
    compliance.scan()
    by_object = {f.object_id: f for f in ComplianceFinding.objects.all()}
    return by_object[first.pk], by_object[second.pk]


def test_a_manager_confirms_one_finding_and_dismisses_another(desktop_page, org, findings):
    confirm_me, dismiss_me = findings
    DirtyRep.objects.all().delete()
    page = desktop_page
    login(page, "manager_east", org.password)
    page.goto("/kpi/compliance/")
    rows = page.get_by_test_id("finding-row")
    expect(rows).to_have_count(2)

    first = page.locator(f"[data-testid=finding-row][data-id='{confirm_me.pk}']")
    expect(first.get_by_test_id("excerpt")).to_contain_text("保证收益")
    first.get_by_test_id("confirm").click()
    page.wait_for_load_state()
    expect(page.get_by_text(f"Finding #{confirm_me.pk}: Confirmed.")).to_be_visible()
    # the queue shows open findings by default: the confirmed one has left it
    expect(rows).to_have_count(1)

    second = page.locator(f"[data-testid=finding-row][data-id='{dismiss_me.pk}']")
    second.get_by_test_id("dismiss").click()  # no reason: stopped in the page
    expect(second.get_by_test_id("reason")).to_have_class("form-control form-control-sm is-invalid")
    dismiss_me.refresh_from_db()
    assert dismiss_me.state == FindingState.OPEN
    second.get_by_test_id("reason").fill("引用的是客户的原话")
    second.get_by_test_id("dismiss").click()
    expect(page.get_by_text(f"Finding #{dismiss_me.pk}: Dismissed.")).to_be_visible()
    expect(page.get_by_test_id("empty-state")).to_be_visible()

    confirm_me.refresh_from_db()
    dismiss_me.refresh_from_db()
    assert confirm_me.state == FindingState.CONFIRMED and confirm_me.reviewed_by == org.manager_east
    assert dismiss_me.state == FindingState.DISMISSED
    assert dismiss_me.review_reason == "引用的是客户的原话"
    assert DirtyRep.objects.filter(user=org.rep_a).exists()  # the confirmed one refreshes

    # every decision is visible under "any state"
    page.goto("/kpi/compliance/?state=")
    expect(page.get_by_test_id("finding-row")).to_have_count(2)
    expect(page.get_by_test_id("decide-form")).to_have_count(0)
