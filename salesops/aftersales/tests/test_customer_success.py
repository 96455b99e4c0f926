"""Customer success's book (core.visibility): every customer (an account with a signed,
active or completed contract) and every account they are the assigned CS manager of.
They read those accounts, their contacts and contracts, open Account 360, and work every
after-sales flow on them over the API and the pages; nobody else's view changes."""

import pytest
from django.test import Client

from salesops.aftersales.models import Complaint, NpsResponse, Renewal, ServiceTicket
from salesops.customers import services as customer_services
from salesops.customers.tests.factories import make_account, make_contact
from salesops.org.services import api_token_create
from salesops.revenue.tests.factories import make_contract

API = "/api/v1"


def token_client(user) -> Client:
    _, key = api_token_create(user=user, name="tests")
    return Client(headers={"Authorization": f"Bearer {key}"})


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.fixture
def book(org):
    """rep_a's customer (signed contract), rep_b's account assigned to cs, rep_b's prospect
    (no contract), rep_c's account with only a draft contract."""
    customer = make_account(org.rep_a, name="已签约客户")
    make_contract(customer)
    assigned = make_account(org.rep_b, name="指派客户")
    customer_services.account_update(actor=org.rep_b, account=assigned, success_owner=org.cs)
    prospect = make_account(org.rep_b, name="潜在客户")
    draft = make_account(org.rep_c, name="草稿合同客户")
    make_contract(draft, status="draft", signed_on=None)
    return {"customer": customer, "assigned": assigned, "prospect": prospect, "draft": draft}


def test_cs_sees_customers_and_assigned_accounts_in_api_page_and_picker(client, org, book):
    expected = {book["customer"].pk, book["assigned"].pk}
    assert ids(token_client(org.cs).get(API + "/accounts")) == expected
    client.force_login(org.cs)
    page = client.get("/customers/accounts/").content.decode()
    assert "已签约客户" in page and "指派客户" in page
    assert "潜在客户" not in page and "草稿合同客户" not in page
    for prefix in ("complaints", "tickets", "nps", "renewals"):
        form = client.get(f"/aftersales/{prefix}/new/").content.decode()
        assert f'<option value="{book["customer"].pk}"' in form, prefix
        assert f'<option value="{book["assigned"].pk}"' in form, prefix
        assert f'<option value="{book["prospect"].pk}"' not in form, prefix
        assert f'<option value="{book["draft"].pk}"' not in form, prefix


def test_a_rep_still_sees_only_his_own(org, book):
    assert ids(token_client(org.rep_a).get(API + "/accounts")) == {book["customer"].pk}
    assert ids(token_client(org.rep_b).get(API + "/accounts")) == {
        book["assigned"].pk,
        book["prospect"].pk,
    }


def test_cs_reads_contacts_and_contracts_of_the_book_but_does_not_change_them(org, book):
    mine = make_contact(book["customer"], name="赵总")
    other = make_contact(book["prospect"], name="钱总")
    cs = token_client(org.cs)
    assert ids(cs.get(API + "/contacts")) == {mine.pk}
    assert cs.get(f"{API}/contacts/{other.pk}").status_code == 404
    response = cs.patch(
        f"{API}/contacts/{mine.pk}", data={"title": "改"}, content_type="application/json"
    )
    assert response.status_code == 404
    response = cs.patch(
        f"{API}/accounts/{book['customer'].pk}",
        data={"notes": "改"},
        content_type="application/json",
    )
    assert response.status_code == 404
    contracts = ids(cs.get(API + "/contracts"))
    assert contracts == set(book["customer"].contracts.values_list("pk", flat=True))


def test_account_360_opens_for_cs_on_the_book_only(client, org, book):
    client.force_login(org.cs)
    assert client.get(f"/customers/accounts/{book['customer'].pk}/360/").status_code == 200
    assert client.get(f"/customers/accounts/{book['assigned'].pk}/360/").status_code == 200
    assert client.get(f"/customers/accounts/{book['prospect'].pk}/360/").status_code == 404


PAYLOADS = {
    "/complaints": (
        Complaint,
        {"summary": "安装延误", "severity": "major", "raised_on": "2026-03-02"},
    ),
    "/service-tickets": (
        ServiceTicket,
        {"subject": "系统报错", "priority": "high", "opened_at": "2026-03-02T10:00:00+08:00"},
    ),
    "/nps-responses": (NpsResponse, {"score": 9, "responded_on": "2026-03-02"}),
    "/renewals": (Renewal, {"due_on": "2026-12-31", "amount": "50000.00"}),
}


@pytest.mark.parametrize("path", PAYLOADS)
def test_cs_works_every_after_sales_flow_over_the_api(org, book, path):
    model, payload = PAYLOADS[path]
    cs = token_client(org.cs)
    for account in (book["customer"], book["assigned"]):
        response = cs.post(
            API + path, data={**payload, "account_id": account.pk}, content_type="application/json"
        )
        assert response.status_code == 201, response.content
        record = response.json()["id"]
        assert cs.get(f"{API}{path}/{record}").status_code == 200
        response = cs.patch(
            f"{API}{path}/{record}", data={"external_id": ""}, content_type="application/json"
        )
        assert response.status_code == 200, response.content
    before = model.objects.count()
    response = cs.post(
        API + path,
        data={**payload, "account_id": book["prospect"].pk},
        content_type="application/json",
    )
    assert 400 <= response.status_code < 500
    assert model.objects.count() == before


PAGES = {
    "complaints": (
        Complaint,
        {"severity": "major", "status": "open", "summary": "物流破损", "raised_on": "2026-03-02"},
    ),
    "tickets": (
        ServiceTicket,
        {"subject": "无法登录", "priority": "normal", "opened_at": "2026-03-02T10:00"},
    ),
    "nps": (NpsResponse, {"score": "6", "responded_on": "2026-03-02"}),
    "renewals": (Renewal, {"due_on": "2026-12-31", "status": "pending", "amount": "1.00"}),
}


@pytest.mark.parametrize("prefix", PAGES)
def test_cs_works_every_after_sales_flow_on_the_pages(client, org, book, prefix):
    model, data = PAGES[prefix]
    client.force_login(org.cs)
    response = client.post(f"/aftersales/{prefix}/new/", {**data, "account": book["assigned"].pk})
    assert response.status_code == 302, response.context["form"].errors
    record = model.objects.get()
    assert record.account == book["assigned"] and record.created_by == org.cs
    detail = client.get(record.get_absolute_url()).content.decode()
    assert 'data-testid="edit"' in detail
    assert client.get(f"/aftersales/{prefix}/").status_code == 200
    assert record.pk in {r.pk for r in model.objects.visible_to(org.cs)}
    # an account outside the book is not one of the choices
    response = client.post(f"/aftersales/{prefix}/new/", {**data, "account": book["prospect"].pk})
    assert response.status_code == 200 and response.context["form"].errors["account"]
    assert model.objects.count() == 1


def test_cs_schedules_and_completes_delivery_milestones_of_the_book(org, book):
    contract = book["customer"].contracts.get()
    cs = token_client(org.cs)
    response = cs.post(
        API + "/deliveries",
        data={"contract_id": contract.pk, "name": "系统上线", "planned_week": "2026-W20"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    milestone = response.json()["id"]
    response = cs.patch(
        f"{API}/deliveries/{milestone}",
        data={"status": "done", "actual_week": "2026-W21"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "done"
    # the contract itself stays the owner's: customer success reads it
    response = cs.patch(
        f"{API}/contracts/{contract.pk}",
        data={"product_line": "改"},
        content_type="application/json",
    )
    assert response.status_code == 403


def test_assigning_the_customer_success_manager_over_the_api(org, book):
    rep = token_client(org.rep_b)
    url = f"{API}/accounts/{book['prospect'].pk}"
    # only an active customer-success user may be assigned, and the error names the field
    response = rep.patch(
        url, data={"success_owner_id": org.rep_a.pk}, content_type="application/json"
    )
    assert response.status_code == 422, response.content
    assert "success_owner" in str(response.json())
    response = rep.patch(url, data={"success_owner_id": org.cs.pk}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["success_owner"]["id"] == org.cs.pk
    assert book["prospect"].pk in ids(token_client(org.cs).get(API + "/accounts"))
    # null clears it: the prospect leaves the book
    response = rep.patch(url, data={"success_owner_id": None}, content_type="application/json")
    assert response.status_code == 200 and response.json()["success_owner"] is None
    assert book["prospect"].pk not in ids(token_client(org.cs).get(API + "/accounts"))
