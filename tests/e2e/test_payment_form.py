"""Finance records a payment from a contract's page in a real browser: the form, a
refused amount named on its field, then the instalment shown as paid."""

import pytest
from playwright.sync_api import expect

from salesops.customers.tests.factories import make_account
from salesops.revenue.tests.factories import make_contract
from tests.e2e.conftest import login


@pytest.fixture
def contract(org):
    return make_contract(make_account(org.rep_a, name="云帆智能"), number="HT-E2E-PAY")


def test_finance_records_a_payment_on_the_contract_page(desktop_page, org, contract):
    page = desktop_page
    login(page, "finance", org.password)
    page.goto(f"/revenue/contracts/{contract.pk}/")
    expect(page.locator("[data-testid=payment-row]")).to_have_count(0)
    page.click("[data-testid=record-payment]")
    expect(page.locator("[data-testid=payment-form]")).to_be_visible()
    # a negative amount is refused on its field, and nothing is saved
    page.fill("input[name=amount]", "-1")
    page.fill("input[name=received_on]", contract.signed_on.isoformat())
    page.click("[data-testid=submit]")
    expect(page.locator("[data-field=amount] .invalid-feedback")).to_be_visible()
    # the first instalment (30 % of ¥100,000), paid in full
    page.fill("input[name=amount]", "30000")
    page.select_option("select[name=instalment]", index=1)
    page.click("[data-testid=submit]")
    expect(page.locator("[data-testid=payment-row]")).to_have_count(1)
    expect(page.locator("[data-testid=instalment-row]").first).to_have_attribute(
        "data-state", "paid"
    )
    expect(page.locator("[data-testid=paid]")).to_contain_text("30,000")
