"""Browser smoke test: log in on a phone and see the dashboard."""

from tests.e2e.conftest import login


def test_rep_logs_in_on_a_phone_and_sees_the_dashboard(phone_page, org):
    login(phone_page, "rep_a", org.password)
    assert phone_page.locator("[data-testid=stat-accounts]").inner_text() == "0"
