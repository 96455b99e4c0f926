"""Customer success in a real browser: the account picker of the complaint form offers the
accounts of their book (a customer with a signed contract, an account assigned to them),
the contact list follows the chosen account, and the complaint is recorded."""

import pytest
from playwright.sync_api import expect

from salesops.aftersales.models import Complaint
from salesops.customers import services as customer_services
from salesops.customers.tests.factories import make_account, make_contact
from salesops.revenue.tests.factories import make_contract
from tests.e2e.conftest import login


@pytest.fixture
def book(org):
    customer = make_account(org.rep_a, name="云帆智能")
    make_contact(customer, name="张总", decision_role="signatory")
    make_contract(customer, number="HT-E2E-CS")
    assigned = make_account(org.rep_b, name="星河物流")
    customer_services.account_update(actor=org.rep_b, account=assigned, success_owner=org.cs)
    prospect = make_account(org.rep_b, name="远山贸易")
    return {"customer": customer, "assigned": assigned, "prospect": prospect}


def test_cs_records_a_complaint_on_an_account(desktop_page, org, book):
    page = desktop_page
    login(page, "cs", org.password)
    # the accounts list shows the book, not the prospect
    page.goto("/customers/accounts/")
    expect(page.locator("body")).to_contain_text("云帆智能")
    expect(page.locator("body")).to_contain_text("星河物流")
    expect(page.locator("body")).not_to_contain_text("远山贸易")
    # a new complaint from the complaints list
    page.goto("/aftersales/complaints/")
    page.click("[data-testid=new-record]")
    picker = page.locator("[data-testid=account-select]")
    expect(picker.locator("option")).to_have_count(3)  # "choose an account" + the book
    picker.select_option(str(book["customer"].pk))
    # the contact picker follows the account (htmx)
    expect(page.locator("#id_contact option", has_text="张总")).to_have_count(1)
    page.select_option("#id_contact", label="张总")
    page.select_option("#id_severity", "major")
    page.fill("#id_summary", "交付延期两周")
    page.fill("#id_raised_on", "2026-03-02")
    page.click("[data-testid=submit]")
    expect(page.locator("[data-testid=record-fields]")).to_contain_text("交付延期两周")
    complaint = Complaint.objects.get()
    assert complaint.account == book["customer"] and complaint.created_by == org.cs
    assert complaint.contact.name == "张总"
    # and customer success can go on working it
    expect(page.locator("[data-testid=edit]")).to_be_visible()
