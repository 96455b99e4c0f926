"""Contracts, payments, invoices and milestones over the REST API: real HTTP, real tokens."""

from decimal import Decimal

import pytest
from django.test import Client

from salesops.core.tests.visibility_matrix import ROLES, SEES_CUSTOMERS, Case, assert_matrix
from salesops.customers.tests.factories import make_account
from salesops.org.services import api_token_create
from salesops.revenue.models import Contract, Payment
from salesops.revenue.tests.factories import make_contract, make_invoice, make_payment

API = "/api/v1"


def client_for(user) -> Client:
    _, key = api_token_create(user=user, name="tests")
    return Client(headers={"Authorization": f"Bearer {key}"})


def post(client, url, data):
    return client.post(API + url, data=data, content_type="application/json")


def patch(client, url, data):
    return client.patch(API + url, data=data, content_type="application/json")


@pytest.fixture
def per_owner(org):
    """One contract with a payment, an invoice and a milestone per user who owns accounts."""
    made = {}
    for name in ROLES:
        if name in ("director", "admin", "finance"):
            continue
        contract = make_contract(
            owner=getattr(org, name),
            milestones=[{"name": "Go-live", "planned_week": "2026-W40"}],
        )
        make_payment(contract)
        make_invoice(contract)
        made[name] = contract
    return made


RECORDS = {
    "contracts": lambda contract: contract,
    "payments": lambda contract: contract.payments.get(),
    "invoices": lambda contract: contract.invoices.get(),
    "deliveries": lambda contract: contract.deliveries.get(),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("resource", RECORDS)
def test_lists_and_records_follow_the_visibility_matrix(org, per_owner, role, resource):
    # (who may change which money records is the money policy: test_money_policy.py)
    records = {owner: RECORDS[resource](contract) for owner, contract in per_owner.items()}
    case = Case(list=f"{API}/{resource}", detail=f"{API}/{resource}/{{pk}}")
    # Every contract here is signed: its account is a customer, in customer success's book.
    assert_matrix(case, org=org, role=role, records=records, sees=SEES_CUSTOMERS)


def test_rep_cannot_open_or_change_another_reps_records(org, per_owner):
    theirs = per_owner["rep_a"]
    rep_b = client_for(org.rep_b)
    assert rep_b.get(f"{API}/contracts/{theirs.pk}").status_code == 404
    assert patch(rep_b, f"/contracts/{theirs.pk}", {"product_line": "x"}).status_code == 404
    payment = theirs.payments.get()
    assert rep_b.get(f"{API}/payments/{payment.pk}").status_code == 404
    assert patch(rep_b, f"/payments/{payment.pk}", {"note": "x"}).status_code == 404
    invoice = theirs.invoices.get()
    assert patch(rep_b, f"/invoices/{invoice.pk}", {"note": "x"}).status_code == 404
    delivery = theirs.deliveries.get()
    assert patch(rep_b, f"/deliveries/{delivery.pk}", {"note": "x"}).status_code == 404
    response = post(
        rep_b,
        "/payments",
        {"contract_id": theirs.pk, "amount": "1", "received_on": "2026-04-01"},
    )
    assert response.status_code == 422 and response.json()["field"] == "contract_id"
    assert theirs.payments.count() == 1


def test_manager_sees_and_changes_the_teams_contracts(org, per_owner):
    contract = per_owner["rep_c"]
    manager = client_for(org.manager_east)
    assert manager.get(f"{API}/contracts/{contract.pk}").status_code == 200
    response = patch(manager, f"/contracts/{contract.pk}", {"product_line": "ERP"})
    assert response.status_code == 200 and response.json()["product_line"] == "ERP"
    contract.refresh_from_db()
    assert contract.product_line == "ERP"
    assert client_for(org.manager_south).get(f"{API}/contracts/{contract.pk}").status_code == 404
    outside = patch(
        client_for(org.manager_south), f"/contracts/{contract.pk}", {"product_line": "x"}
    )
    assert outside.status_code == 404
    contract.refresh_from_db()
    assert contract.product_line == "ERP"


def test_finance_records_payments_and_invoices_but_not_contracts(org, per_owner):
    contract = per_owner["rep_a"]
    finance = client_for(org.finance)
    # reads every contract, cannot change its sales fields (only the signed money terms)
    assert finance.get(f"{API}/contracts/{contract.pk}").status_code == 200
    response = patch(finance, f"/contracts/{contract.pk}", {"product_line": "x"})
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    account = make_account(org.rep_a)
    response = post(
        finance, "/contracts", {"number": "X", "account_id": account.pk, "amount": "10"}
    )
    assert response.status_code == 403
    # records payments and invoices for any account, and edits them
    response = post(
        finance,
        "/payments",
        {"contract_id": contract.pk, "amount": "60000", "received_on": "2026-07-01"},
    )
    assert response.status_code == 201, response.content
    payment_id = response.json()["id"]
    assert (
        patch(finance, f"/payments/{payment_id}", {"reference": "B-9"}).json()["reference"] == "B-9"
    )
    response = post(
        finance,
        "/invoices",
        {
            "contract_id": contract.pk,
            "number": "FP-9",
            "amount": "60000",
            "issued_on": "2026-07-02",
        },
    )
    assert response.status_code == 201
    # but not milestones (implementation belongs to the account team)
    delivery = contract.deliveries.get()
    assert patch(finance, f"/deliveries/{delivery.pk}", {"note": "x"}).status_code == 403


def test_create_contract_with_plan_and_schedule(org):
    account = make_account(org.rep_a)
    rep_a = client_for(org.rep_a)
    response = post(
        rep_a,
        "/contracts",
        {
            "number": "HT-1",
            "account_id": account.pk,
            "amount": "99999.99",
            "status": "signed",
            "signed_on": "2026-03-02",
            "has_custom_service": True,
            "custom_service_annex": "定制报表",
            "attachments": [{"name": "合同扫描件.pdf", "url": "https://files.example.com/1.pdf"}],
            "instalments": [
                {"due_on": "2026-03-10", "percent": "33.33"},
                {"due_on": "2026-06-10", "percent": "33.33"},
                {"due_on": "2026-09-10", "percent": "33.34"},
            ],
            "milestones": [{"name": "上线", "planned_week": "2026-W49"}],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["owner"]["id"] == org.rep_a.pk
    assert body["first_payment_percent"] == "33.33"
    amounts = [Decimal(i["amount"]) for i in body["instalments"]]
    assert sum(amounts) == Decimal("99999.99")
    assert body["milestones"][0]["planned_week"] == "2026-W49"
    assert body["remaining"] == "99999.99"


def test_contract_errors_name_the_field(org):
    account = make_account(org.rep_a)
    rep_a = client_for(org.rep_a)
    base = {"number": "HT-1", "account_id": account.pk, "amount": "1000"}
    response = post(
        rep_a,
        "/contracts",
        {**base, "instalments": [{"due_on": "2026-04-01", "percent": "50"}]},
    )
    assert response.status_code == 422
    assert response.json()["field"] == "instalments"
    response = post(rep_a, "/contracts", {**base, "start_on": "2026-05-01", "end_on": "2026-04-01"})
    assert response.json()["field"] == "end_on"
    response = post(rep_a, "/contracts", {**base, "amount": "-1"})
    assert response.json()["field"] == "amount"
    other = make_account(org.rep_b)
    response = post(rep_a, "/contracts", {**base, "account_id": other.pk})
    assert response.json()["field"] == "account_id"
    assert Contract.objects.count() == 0


def test_payment_over_contract_is_flagged_through_the_api(org, per_owner):
    contract = per_owner["rep_a"]  # ¥100,000 with ¥30,000 paid
    response = post(
        client_for(org.finance),
        "/payments",
        {"contract_id": contract.pk, "amount": "80000", "received_on": "2026-07-01"},
    )
    assert response.status_code == 201
    assert response.json()["flagged"] is True
    assert "¥70,000.00" in response.json()["flag_reason"]


def test_payment_over_contract_rejected_by_setting(org, per_owner):
    from salesops.revenue.policy import policy_update

    policy_update(actor=org.admin, payment_over_contract="reject")
    contract = per_owner["rep_a"]
    response = post(
        client_for(org.finance),
        "/payments",
        {"contract_id": contract.pk, "amount": "80000", "received_on": "2026-07-01"},
    )
    assert response.status_code == 422 and response.json()["field"] == "amount"
    assert Payment.objects.filter(contract=contract).count() == 1


def test_payment_for_an_instalment_of_another_contract(org, per_owner):
    contract, other = per_owner["rep_a"], make_contract(owner=org.rep_a)
    response = post(
        client_for(org.finance),
        "/payments",
        {
            "contract_id": contract.pk,
            "amount": "10",
            "received_on": "2026-07-01",
            "instalment_id": other.instalments.first().pk,
        },
    )
    assert response.status_code == 422 and response.json()["field"] == "instalment_id"
    assert (contract.payments.count(), other.payments.count()) == (1, 0)


def test_list_filters(org, per_owner):
    director = client_for(org.director)
    number = per_owner["rep_b"].number
    body = director.get(f"{API}/contracts?q={number}").json()
    assert [c["number"] for c in body["results"]] == [number]
    assert director.get(f"{API}/payments?flagged=true").json()["count"] == 0
    response = director.get(f"{API}/contracts?status=bogus")
    assert response.status_code == 422 and response.json()["field"] == "status"


def test_milestone_update_marks_it_done(org, per_owner):
    delivery = per_owner["rep_a"].deliveries.get()
    rep_a = client_for(org.rep_a)
    response = patch(rep_a, f"/deliveries/{delivery.pk}", {"status": "done"})
    assert response.status_code == 422 and response.json()["field"] == "actual_week"
    delivery.refresh_from_db()
    assert delivery.status != "done"  # the refused change wrote nothing
    response = patch(
        rep_a, f"/deliveries/{delivery.pk}", {"status": "done", "actual_week": "2026-W28"}
    )
    assert response.status_code == 200 and response.json()["is_late"] is False
    delivery.refresh_from_db()
    assert (delivery.status, delivery.actual_week) == ("done", "2026-W28")
