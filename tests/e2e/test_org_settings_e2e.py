"""An admin changes the default daily lead cap on Settings · Organisation in a real
browser; a refused value is named on its field, and the routing page shows the new cap
at the next request (no restart)."""

from playwright.sync_api import expect

from salesops.core import orgsettings
from tests.e2e.conftest import login


def test_admin_changes_the_default_cap_and_routing_shows_it(desktop_page, org):
    page = desktop_page
    login(page, "admin", org.password)
    page.goto("/leads/routing/")
    expect(page.locator("[data-testid=default-cap]")).to_contain_text("15")
    page.goto("/settings/organisation/")
    expect(page.locator("[data-testid=section-routing]")).to_be_visible()
    # zero is refused on its field and nothing is saved
    page.fill("input[name=default_daily_lead_cap]", "0")
    page.click("[data-testid=submit]")
    expect(page.locator("[data-field=default_daily_lead_cap] .invalid-feedback")).to_be_visible()
    assert orgsettings.row().pk is None
    page.fill("input[name=default_daily_lead_cap]", "9")
    page.click("[data-testid=submit]")
    expect(page.locator("input[name=default_daily_lead_cap]")).to_have_value("9")
    expect(page.locator("[data-testid=history-entry]")).to_have_count(1)
    page.click("[data-testid=per-rep-caps]")
    expect(page.locator("[data-testid=default-cap]")).to_contain_text("9")
