"""Browser smoke test: log in on a phone and see the home page (today's list)."""

from tests.e2e.conftest import login


def test_rep_logs_in_on_a_phone_and_sees_the_home_page(phone_page, org):
    login(phone_page, "rep_a", org.password)
    assert phone_page.locator("[data-testid=waiting-count]").inner_text() == "0"
