"""Imports in a real browser (issue 19, X5): an admin uploads a spreadsheet of accounts
with two bad rows, checks it, reads the report (the row and the field named), fixes the
file, uploads it again, checks it and imports it; the accounts exist. Nothing is written
before the commit."""

from playwright.sync_api import expect

from salesops.customers.models import Account
from salesops.exchange.tests.helpers import xlsx_bytes
from tests.e2e.conftest import login

HEADERS = ["公司名称", "城市", "负责人"]
GOOD = [
    ["上海甲乙机械有限公司", "上海", "rep_a"],
    ["杭州戊己软件有限公司", "杭州", "rep_b"],
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(page, rows, name):
    page.goto("/imports/")
    card = page.locator('[data-testid=entity][data-entity="account"]')
    card.get_by_test_id("upload-file").set_input_files(
        {"name": name, "mimeType": XLSX, "buffer": xlsx_bytes(HEADERS, rows)}
    )
    card.get_by_test_id("upload-submit").click()
    page.wait_for_url("**/imports/*/")
    expect(page.get_by_test_id("job-file")).to_contain_text(name)


def check(page):
    expect(page.get_by_test_id("mapping-row")).to_have_count(3)
    page.get_by_test_id("check").click()
    expect(page.get_by_test_id("report")).to_be_visible()


def test_admin_fixes_a_file_from_the_report_and_imports_it(desktop_page, org):
    page = desktop_page
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    login(page, "admin", org.password)
    page.goto("/")
    page.locator("[data-testid=nav-data] a").click()  # the Data section: a link to Import
    page.wait_for_url("**/imports/")

    bad = [GOOD[0], ["苏州丙丁电子有限公司", "苏州", "nobody"], ["", "杭州", "rep_b"], GOOD[1]]
    upload(page, bad, "accounts.xlsx")
    check(page)
    expect(page.locator('[data-testid=count][data-status="error"]')).to_have_attribute(
        "data-count", "2"
    )
    owner_row = page.locator('[data-testid=report-row][data-row="3"]')
    expect(owner_row).to_have_attribute("data-status", "error")
    expect(owner_row.get_by_test_id("report-field")).to_have_text("owner")
    expect(owner_row.get_by_test_id("report-message")).to_contain_text("nobody")
    name_row = page.locator('[data-testid=report-row][data-row="4"]')
    expect(name_row.get_by_test_id("report-field")).to_have_text("company name")
    expect(name_row.get_by_test_id("report-message")).to_contain_text("required")
    page.locator('[data-testid=count][data-status="error"]').click()
    expect(page.get_by_test_id("report-row")).to_have_count(2)
    assert not Account.objects.exists()  # a check writes nothing

    upload(page, [*GOOD, ["苏州丙丁电子有限公司", "苏州", "rep_a"]], "accounts-fixed.xlsx")
    check(page)
    expect(page.locator('[data-testid=count][data-status="error"]')).to_have_attribute(
        "data-count", "0"
    )
    expect(page.get_by_test_id("commit")).to_have_text("Import 3 good rows")
    page.get_by_test_id("commit").click()
    expect(page.get_by_test_id("job-state").first).to_have_attribute("data-state", "done")
    expect(page.locator('[data-testid=count][data-status="create"]')).to_have_attribute(
        "data-count", "3"
    )
    assert sorted(Account.objects.values_list("name", flat=True)) == [
        "上海甲乙机械有限公司",
        "杭州戊己软件有限公司",
        "苏州丙丁电子有限公司",
    ]
    page.goto("/imports/")
    expect(page.get_by_test_id("job-row")).to_have_count(2)
    assert not errors
