"""A manager exports a filtered list: the file holds exactly the rows the page shows."""

import io

import openpyxl
from playwright.sync_api import expect

from salesops.customers.tests.factories import make_account
from tests.e2e.conftest import login


def test_a_manager_exports_the_filtered_accounts_as_excel(desktop_page, org):
    page = desktop_page
    make_account(org.rep_a, name="宁波海曙精工机械有限公司")
    make_account(org.rep_b, name="宁波北仑精工模具有限公司")
    make_account(org.rep_a, name="温州鹿城鞋业有限公司")
    make_account(org.rep_d, name="宁波江北精工电气有限公司")  # another team's
    login(page, "manager_east", org.password)
    page.goto("/customers/accounts/")
    page.fill("[data-testid=search]", "精工")
    page.keyboard.press("Enter")
    expect(page.locator("[data-testid=result-count]")).to_have_text("2")
    with page.expect_download() as caught:
        page.click("[data-testid=export-xlsx]")
    download = caught.value
    assert download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as handle:
        sheet = openpyxl.load_workbook(io.BytesIO(handle.read())).active
    rows = list(sheet.values)
    names = sorted(row[0] for row in rows[1:])
    assert names == ["宁波北仑精工模具有限公司", "宁波海曙精工机械有限公司"]
