"""Incentives in a real browser (issue 18, I7): finance opens the payout month, approves
it and downloads the payroll workbook (its totals row adds up); a rep opens their
statement, clicks a line and sees the formula, its inputs, the coefficient and the
release condition."""

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from salesops.core import clock
from salesops.incentives import ledger
from salesops.incentives.models import LineKind, PayoutPeriod
from salesops.incentives.tests.test_statements import deal, earned, factors
from tests.e2e.conftest import login


@pytest.fixture
def this_month(org):
    month = ledger.month_of(clock.today())
    _contract, lines = deal(org.rep_a, month=month)
    factors(org.rep_a, month=month)
    earned(org.rep_a, month=month, amount="150.00")
    earned(org.rep_d, month=month, amount="90.00", kind=LineKind.QUARTERLY)
    return month, lines


def test_finance_approves_the_month_and_downloads_the_payroll(desktop_page, org, this_month):
    month, _lines = this_month
    key = month.strftime("%Y-%m")
    page = desktop_page
    login(page, "finance", org.password)
    page.goto("/incentives/periods/")
    page.locator(f'[data-testid=period-row][data-month="{key}"] a').click()
    page.wait_for_url(f"**/incentives/periods/{key}/")
    expect(page.get_by_test_id("period-payable")).to_have_text("¥240.00")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("locked-by")).to_contain_text("Finance Fang")
    assert PayoutPeriod.objects.get(month=month).is_locked
    with page.expect_download() as info:
        page.get_by_test_id("export-xlsx").click()
    download = info.value
    assert download.suggested_filename == f"payroll-{key}.xlsx"
    book = load_workbook(io.BytesIO(open(download.path(), "rb").read()))
    *rows, total = list(book.worksheets[0].values)[1:]
    assert total[0] == "Total"
    assert Decimal(str(total[-1])) == Decimal("240.00")
    assert sum(Decimal(str(r[-1])) for r in rows) == Decimal("240.00")


def test_a_rep_opens_a_statement_line_and_sees_why(desktop_page, org, this_month):
    _month, lines = this_month
    page = desktop_page
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    login(page, "rep_a", org.password)
    page.goto("/incentives/statement/")
    expect(page.get_by_test_id("total-payable")).to_have_text("¥150.00")
    expect(page.get_by_test_id("statement-chart")).to_have_attribute("data-rendered", "1")
    row = page.locator(f'[data-testid=line-row][data-id="{lines[0].pk}"]')
    row.get_by_test_id("line-link").click()
    page.wait_for_url(f"**/incentives/lines/{lines[0].pk}/")
    expect(page.get_by_test_id("formula")).to_have_text("contract_amount * 0.02")
    expect(page.get_by_test_id("inputs")).to_contain_text("contract_amount = 100000.00")
    expect(page.get_by_test_id("line-coefficient")).to_have_text("1.100")
    expect(page.get_by_test_id("condition")).to_contain_text("when ¥30,000.00 has been received")
    expect(page.get_by_test_id("coefficient")).to_have_text("1.100")
    assert not errors
