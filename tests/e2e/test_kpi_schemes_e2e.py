"""KPI schemes in a real browser (issue 17): an admin opens the scheme, edits a formula,
previews it on last month's real data (sees every rep's score), and saves — a new version
appears on the scheme's page. A broken formula previews as a message naming the metric."""

from playwright.sync_api import expect

from salesops.kpi.models import SchemeVersion
from salesops.kpi.tests.schemes_data import build
from tests.e2e.conftest import login


def test_admin_edits_previews_and_saves_a_scheme(desktop_page):
    world = build()
    page = desktop_page
    login(page, "admin", world.org.password)
    page.goto("/kpi/schemes/")
    page.get_by_test_id("scheme-row").get_by_role("link", name="East reps KPI").click()
    expect(page.get_by_test_id("version-row")).to_have_count(1)
    page.get_by_test_id("edit-scheme").click()

    rows = page.get_by_test_id("item-table").get_by_test_id("item-row")
    expect(rows).to_have_count(2)
    # the editor's script comes at the end of the page: wait for it before clicking
    page.wait_for_load_state("load")
    # the small script adds and removes rows (no inline script under the CSP)
    page.get_by_test_id("add-row").click()
    expect(rows).to_have_count(3)
    rows.nth(2).locator("[data-remove-row]").click()
    expect(rows).to_have_count(2)

    formula = rows.nth(0).get_by_test_id("item-formula")
    formula.fill("min(actual / target, 1.2 * 100")
    page.get_by_test_id("preview").click()
    errors = page.get_by_test_id("preview-errors")
    expect(errors).to_contain_text("t_calls")
    expect(errors).to_contain_text("Syntax error")

    formula.fill("min(actual / target, 1.5) * 100")
    rows.nth(0).get_by_test_id("item-target-value").fill("1")
    page.get_by_test_id("preview").click()
    table = page.get_by_test_id("preview-table")
    expect(table.get_by_test_id("preview-row")).to_have_count(3)
    rep_a = table.locator(f"[data-user='{world.org.rep_a.pk}']")
    expect(rep_a.get_by_test_id("preview-score")).to_have_text("137.50")  # 75 × 1.5 + 25 × 1
    assert SchemeVersion.objects.filter(scheme=world.scheme).count() == 1  # nothing saved

    page.get_by_label("What changed and why").fill("calls capped at 150%")
    page.get_by_test_id("submit").click()
    page.wait_for_url(f"**/kpi/schemes/{world.scheme.pk}/")
    expect(page.get_by_test_id("version-row")).to_have_count(2)
    newest = page.locator("[data-testid=version-row][data-number='2']")
    expect(newest).to_contain_text("calls capped at 150%")
    expect(newest.get_by_test_id("version-changes")).to_contain_text("t_calls: formula")
    version = SchemeVersion.objects.get(scheme=world.scheme, number=2)
    assert version.items.get(metric=world.calls).formula == "min(actual / target, 1.5) * 100"
