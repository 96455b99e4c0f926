"""A rep on a phone: create an account with a contact, find it, switch the language."""

import re

from playwright.sync_api import expect

from salesops.customers.models import Account, Contact
from salesops.customers.tests.factories import credit_code
from tests.e2e.conftest import login


def test_rep_on_a_phone_creates_an_account_with_a_contact_finds_it_and_switches_language(
    phone_page, org
):
    page = phone_page
    code = credit_code(424242)
    login(page, "rep_a", org.password)

    # The navigation is collapsed on a 375-px screen: open it, then the Customers section,
    # and go to the accounts.
    page.click("[data-testid=menu-toggle]")
    page.click("[data-testid=nav-customers] > a")
    page.get_by_role("link", name="Accounts").click()
    expect(page).to_have_url(re.compile(r"/customers/accounts/$"))

    # Create the account.
    page.click("[data-testid=new-account]")
    page.fill("#id_name", "杭州云帆智能科技有限公司")
    page.fill("#id_credit_code", code)
    page.fill("#id_province", "浙江省")
    page.fill("#id_city", "杭州市")
    page.select_option("#id_industry", "software")
    page.click("[data-testid=submit]")
    expect(page.locator("[data-testid=account-fields]")).to_contain_text(code)
    account = Account.objects.get(credit_code=code)
    assert account.owner == org.rep_a

    # Add a contact from the account page; the phone is typed the way people type it.
    page.click("[data-testid=add-contact]")
    page.fill("#id_name", "王芳")
    page.fill("#id_phone", "138 0013 8000")
    page.select_option("#id_decision_role", "signatory")
    page.click("[data-testid=submit]")
    contact = Contact.objects.get(account=account)
    assert contact.phone == "+8613800138000"
    assert contact.decision_role == "signatory"

    # Find the account again through search.
    page.goto("/customers/accounts/")
    page.fill("[data-testid=search]", "云帆")
    page.click("[data-testid=filter-submit]")
    rows = page.locator("[data-testid=account-row]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("杭州云帆智能科技有限公司")
    rows.first.get_by_role("link", name="杭州云帆智能科技有限公司").click()
    expect(page.locator("[data-testid=account-contacts]")).to_contain_text("王芳")

    # Switch the language: the labels change to Chinese, and stay Chinese on the next page.
    expect(page.get_by_role("heading", name=re.compile("Account"))).to_be_visible()
    page.select_option("[data-testid=language-select]", "zh-hans")
    expect(page.locator("[data-testid=add-contact]")).to_contain_text("添加联系人")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.goto("/customers/accounts/")
    expect(page.locator("[data-testid=new-account]")).to_contain_text("新建客户")
    org.rep_a.refresh_from_db()
    assert org.rep_a.language == "zh-hans"
