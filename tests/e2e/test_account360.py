"""The Account 360 page in a real browser: on a 375-px phone the sections are stacked
cards and the page does not scroll sideways; on a desktop they sit in two columns; the
NPS trend chart is drawn by ECharts in both."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from salesops.aftersales.tests.factories import make_complaint, make_nps, make_renewal, make_ticket
from salesops.core import clock
from salesops.customers.tests.factories import make_account, make_contact
from salesops.reports import ltv
from salesops.revenue.tests.factories import make_contract, make_invoice, make_payment
from tests.e2e.conftest import login

SECTIONS = (
    "ltv",
    "chain",
    "contracts",
    "invoices",
    "deliveries",
    "tickets",
    "complaints",
    "nps",
    "renewals",
    "activities",
    "history",
)


@pytest.fixture
def account(org):
    """rep_a's account with a record in every section and NPS answers in two months."""
    today = clock.today()
    account = make_account(org.rep_a, name="云帆智能")
    make_contact(account, name="张总", decision_role="signatory")
    contract = make_contract(account, number="HT-E2E-360")
    make_payment(contract, "30000.00")
    make_invoice(contract, "30000.00")
    make_ticket(account, subject="登录失败")
    make_complaint(account, summary="交付延期", severity="major", raised_on=today)
    make_nps(account, score=9, responded_on=today - dt.timedelta(days=62))
    make_nps(account, score=6, responded_on=today)
    make_renewal(account, amount=Decimal("12000.00"), due_on=today + dt.timedelta(days=30))
    ltv.ltv_recompute(account=account)
    return account


def _open_360(page, org, account):
    login(page, "rep_a", org.password)
    page.goto(f"/customers/accounts/{account.pk}/")
    page.click("[data-testid=tab-360]")
    expect(page.locator("[data-testid=a360]")).to_be_visible()
    for section in SECTIONS:
        expect(page.locator(f"[data-testid=a360-{section}]")).to_be_visible()
    expect(page.locator("[data-testid=contract-row]")).to_contain_text("HT-E2E-360")
    expect(page.locator("[data-testid=ltv-total]")).to_contain_text("¥")
    # ECharts drew the chart: a canvas inside the container, marked by the page script.
    chart = page.locator("[data-testid=nps-chart]")
    expect(chart).to_have_attribute("data-rendered", "1")
    expect(chart.locator("canvas")).to_have_count(1)
    assert chart.bounding_box()["height"] > 100


def test_account_360_on_a_phone_is_stacked_cards(phone_page, org, account):
    page = phone_page
    _open_360(page, org, account)
    ltv_box = page.locator("[data-testid=a360-ltv]").bounding_box()
    chain_box = page.locator("[data-testid=a360-chain]").bounding_box()
    # One column: the decision chain comes below the LTV card, as wide as it.
    assert chain_box["y"] >= ltv_box["y"] + ltv_box["height"]
    assert abs(chain_box["x"] - ltv_box["x"]) < 2
    assert ltv_box["width"] <= 375
    # Nothing makes the page scroll sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    # The LTV breakdown opens on a tap.
    page.locator("[data-testid=ltv-breakdown] summary").tap()
    expect(page.locator("[data-testid=ltv-formula]")).to_be_visible()


def test_account_360_on_a_desktop_has_two_columns(desktop_page, org, account):
    page = desktop_page
    _open_360(page, org, account)
    ltv_box = page.locator("[data-testid=a360-ltv]").bounding_box()
    chain_box = page.locator("[data-testid=a360-chain]").bounding_box()
    assert abs(chain_box["y"] - ltv_box["y"]) < 2
    assert chain_box["x"] > ltv_box["x"] + ltv_box["width"] - 1
    page.click("[data-testid=ltv-breakdown] summary")
    expect(page.locator("[data-testid=ltv-inputs] [data-name=realised]")).to_contain_text(
        "30000.00"
    )
