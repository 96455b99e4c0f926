"""The offline field app (SPEC X6) in a real browser: the service worker installs and
controls the pages; offline, a quick-entry lead and a check-in go to the IndexedDB outbox
("2 unsent"); back online exactly one lead and one check-in arrive; the outbox sent again
writes nothing; an offline edit that met a server change becomes a conflict with both
values kept."""

from playwright.sync_api import expect

from salesops.activities.models import Activity
from salesops.field.models import SyncConflict, SyncItem
from salesops.leads import services as lead_services
from salesops.leads.models import Lead
from salesops.leads.tests.factories import lead_data, make_channel
from tests.e2e.conftest import login

COMPANY = "宁波北仑港口物流有限公司"


def _controlled(page):
    """Wait for the worker, then reload once so it controls the page."""
    page.wait_for_load_state("load")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_load_state("load")
    page.wait_for_function("navigator.serviceWorker.controller !== null")


def _visit(page, url):
    """Open a page online, so the worker keeps it for offline use."""
    page.goto(url)
    page.wait_for_load_state("load")
    page.wait_for_function("url => caches.match(url).then(r => !!r)", arg=page.url, timeout=10_000)


def test_offline_lead_and_checkin_arrive_once_and_a_conflict_keeps_both_values(phone_page, org):
    lead = lead_services.lead_intake(
        channel=make_channel(), data=lead_data(company="杭州滨江测试线索有限公司"), owner=org.rep_a
    ).lead
    page = phone_page
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    context = page.context
    login(page, "rep_a", org.password)
    page.goto("/field/")
    _controlled(page)
    # The working set reached IndexedDB: the workbench lists my lead.
    expect(page.locator("[data-testid=my-leads]")).to_contain_text("杭州滨江测试线索有限公司")
    _visit(page, f"/activities/check-in/?lead={lead.pk}")
    _visit(page, f"/leads/{lead.pk}/edit/")
    _visit(page, "/leads/new/")

    # --- offline: a lead on quick entry ------------------------------------------------
    context.set_offline(True)
    status = page.locator("[data-testid=field-status]")
    expect(status).to_contain_text("Offline")
    page.fill("[data-testid=quick-contact_name]", "王经理")
    page.fill("[data-testid=quick-phone]", "13812345678")
    page.fill("[data-testid=quick-company]", COMPANY)
    page.fill("[data-testid=quick-need]", "仓储管理系统")
    page.click("[data-testid=quick-save]")
    expect(page.locator("[data-testid=offline-notice]")).to_be_visible()
    expect(status).to_contain_text("1 unsent")

    # --- offline: a check-in on a page the worker serves from its cache ------------------
    page.goto(f"/activities/check-in/?lead={lead.pk}")
    page.wait_for_load_state("load")
    page.click("[data-testid=tag-demo_booked]")
    page.fill("[data-testid=note]", "离线签到")
    page.click("[data-testid=checkin-submit]")
    expect(page.locator("[data-testid=offline-notice]")).to_be_visible()
    expect(status).to_contain_text("2 unsent")
    assert not Lead.objects.filter(company=COMPANY).exists()
    assert not Activity.objects.exists()

    # --- back online: the outbox goes out in order, once ---------------------------------
    context.set_offline(False)
    expect(status).not_to_contain_text("unsent", timeout=15_000)
    expect(status).to_contain_text("Online")
    assert Lead.objects.filter(company=COMPANY).count() == 1
    new_lead = Lead.objects.get(company=COMPANY)
    assert new_lead.owner == org.rep_a
    activity = Activity.objects.get()
    assert activity.lead_id == lead.pk and activity.note == "离线签到"
    assert activity.tag.code == "demo_booked"

    # The workbench shows what was sent and each answer.
    page.goto("/field/")
    page.wait_for_load_state("load")
    outbox = page.locator("[data-testid=outbox-item]")
    expect(outbox).to_have_count(2)
    expect(page.locator("[data-testid=outbox-item][data-status=applied]")).to_have_count(2)

    # --- the same outbox sent again: answered "replayed", nothing written ----------------
    page.click("[data-testid=resend-all]")
    expect(page.locator("[data-testid=outbox-item][data-status=replayed]")).to_have_count(2)
    assert Lead.objects.filter(company=COMPANY).count() == 1
    assert Activity.objects.count() == 1
    assert SyncItem.objects.filter(user=org.rep_a).count() == 2

    # --- an offline edit meets a change made on the server meanwhile ---------------------
    page.goto(f"/leads/{lead.pk}/edit/")
    page.wait_for_load_state("load")
    seen = lead.need
    context.set_offline(True)
    expect(status).to_contain_text("Offline")
    page.fill("#id_need", "要上门演示（离线改的）")
    page.click("[data-testid=lead-form] [type=submit]")
    expect(page.locator("[data-testid=offline-notice]")).to_be_visible()
    expect(status).to_contain_text("1 unsent")
    lead_services.lead_update(actor=org.manager_east, lead=lead, need="只要报价（经理改的）")
    context.set_offline(False)
    expect(status).not_to_contain_text("unsent", timeout=15_000)

    lead.refresh_from_db()
    assert lead.need == "只要报价（经理改的）"  # never silently overwritten
    conflict = SyncConflict.objects.get()
    assert conflict.base_value == seen
    assert conflict.client_value == "要上门演示（离线改的）"

    page.goto("/field/")
    page.wait_for_load_state("load")
    expect(page.locator("[data-testid=conflicts] [data-testid=outbox-item]")).to_have_count(1)
    page.click("[data-testid=conflicts-link]")
    card = page.locator("[data-testid=conflict]")
    expect(card.locator("[data-testid=conflict-theirs]")).to_have_text("只要报价（经理改的）")
    expect(card.locator("[data-testid=conflict-mine]")).to_have_text("要上门演示（离线改的）")
    card.locator("[data-testid=keep-mine]").click()
    expect(card.locator("[data-testid=conflict-chosen]")).to_have_text("要上门演示（离线改的）")
    lead.refresh_from_db()
    assert lead.need == "要上门演示（离线改的）"
    conflict.refresh_from_db()
    assert conflict.server_value == "只要报价（经理改的）"  # both values stay recorded
    assert errors == []  # no script failed along the way
