"""Money is finance's (issue 11, item 7): once a contract is signed its amount, payment
plan and clauses change only through finance, and payments and invoices are recorded by
finance — unless an admin's revenue policy says otherwise. Through the API and the pages,
as rep, manager, finance and admin."""

from decimal import Decimal

import pytest

from salesops.revenue.models import Contract, Invoice, Payment, RevenuePolicy
from salesops.revenue.tests.factories import make_contract, make_invoice, make_payment
from salesops.revenue.tests.test_api import client_for, patch, post

PLAN = [{"due_on": "2026-03-16", "percent": "50"}, {"due_on": "2026-06-30", "percent": "50"}]


@pytest.fixture
def signed(org):
    """rep_c's signed ¥100,000 contract (rep_c is in manager_east's and manager_sh's teams)."""
    return make_contract(owner=org.rep_c)


def payment_body(contract, amount="1000"):
    return {"contract_id": contract.pk, "amount": amount, "received_on": "2026-07-01"}


@pytest.mark.parametrize("role", ["rep_c", "manager_sh", "manager_east", "director", "admin"])
@pytest.mark.parametrize(
    "change",
    [{"amount": "1000000"}, {"instalments": PLAN}, {"clauses": "free support forever"}],
)
def test_only_finance_changes_a_signed_contracts_money_terms(org, signed, role, change):
    response = patch(client_for(getattr(org, role)), f"/contracts/{signed.pk}", change)
    assert response.status_code == 403, response.content
    body = response.json()
    assert body["code"] == "forbidden" and "finance" in body["message"]
    fresh = Contract.objects.get(pk=signed.pk)
    assert fresh.amount == Decimal("100000.00") and fresh.clauses == ""
    assert [i.percent for i in fresh.instalments.order_by("sequence")] == [30, 60, 10]


def test_a_rep_cannot_unsign_a_contract_to_edit_it(org, signed):
    rep = client_for(org.rep_c)
    response = patch(rep, f"/contracts/{signed.pk}", {"status": "draft"})
    assert response.status_code == 403
    assert Contract.objects.get(pk=signed.pk).status == "signed"
    # terminating is the rep's call, but a terminated contract keeps its signed amount
    assert patch(rep, f"/contracts/{signed.pk}", {"status": "terminated"}).status_code == 200
    assert patch(rep, f"/contracts/{signed.pk}", {"amount": "1"}).status_code == 403
    assert Contract.objects.get(pk=signed.pk).amount == Decimal("100000.00")


def test_finance_amends_a_signed_contract(org, signed):
    response = patch(
        client_for(org.finance),
        f"/contracts/{signed.pk}",
        {"amount": "120000", "instalments": PLAN, "clauses": "amended"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["amount"] == "120000.00" and body["clauses"] == "amended"
    assert [i["amount"] for i in body["instalments"]] == ["60000.00", "60000.00"]
    assert Contract.objects.get(pk=signed.pk).history.first().history_user == org.finance


def test_reps_still_draft_and_edit_unsigned_contracts(org):
    draft = make_contract(owner=org.rep_c, status="draft", signed_on=None, instalments=[])
    rep = client_for(org.rep_c)
    response = patch(rep, f"/contracts/{draft.pk}", {"amount": "5000", "instalments": PLAN})
    assert response.status_code == 200, response.content
    assert response.json()["amount"] == "5000.00"
    # and the sales fields of a signed one
    signed = make_contract(owner=org.rep_c)
    response = patch(rep, f"/contracts/{signed.pk}", {"product_line": "ERP"})
    assert response.status_code == 200 and response.json()["product_line"] == "ERP"


@pytest.mark.parametrize("role", ["rep_c", "manager_sh", "director", "admin"])
def test_only_finance_records_payments_and_invoices(org, signed, role):
    client = client_for(getattr(org, role))
    response = post(client, "/payments", payment_body(signed))
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert "finance" in response.json()["message"]
    invoice = {**payment_body(signed), "number": "FP-1", "issued_on": "2026-07-01"}
    invoice.pop("received_on")
    assert post(client, "/invoices", invoice).status_code == 403
    # nor change the ones finance recorded
    payment = make_payment(signed, actor=org.finance)
    bill = make_invoice(signed, actor=org.finance)
    assert patch(client, f"/payments/{payment.pk}", {"amount": "1"}).status_code == 403
    assert patch(client, f"/invoices/{bill.pk}", {"amount": "1"}).status_code == 403
    assert Payment.objects.get(pk=payment.pk).amount == Decimal("30000.00")
    assert Invoice.objects.get(pk=bill.pk).amount == Decimal("30000.00")
    assert Payment.objects.count() == 1 and Invoice.objects.count() == 1


def test_finance_records_payments_and_invoices(org, signed):
    finance = client_for(org.finance)
    response = post(finance, "/payments", payment_body(signed))
    assert response.status_code == 201, response.content
    payment_id = response.json()["id"]
    assert patch(finance, f"/payments/{payment_id}", {"amount": "2000"}).status_code == 200
    assert Payment.objects.get(pk=payment_id).amount == Decimal("2000")
    invoice = {
        "contract_id": signed.pk,
        "number": "FP-1",
        "amount": "10",
        "issued_on": "2026-07-01",
    }
    assert post(finance, "/invoices", invoice).status_code == 201
    stored = Invoice.objects.get(number="FP-1")
    assert (stored.contract, stored.amount) == (signed, Decimal("10"))


# --- the policy is data, edited by the admin on a settings page -------------------------------


def policy_post(client, **data):
    form = {
        "billing_roles": ["finance"],
        "signed_contract_roles": ["finance"],
        "payment_over_contract": "flag",
    }
    form.update(data)
    form["version"] = client.get("/revenue/policy/").context["form"]["version"].value()
    return client.post("/revenue/policy/", form)


def test_admin_lets_managers_record_payments_and_it_is_audited(client, org, signed):
    manager = client_for(org.manager_sh)
    assert post(manager, "/payments", payment_body(signed)).status_code == 403
    client.force_login(org.admin)
    response = policy_post(client, billing_roles=["finance", "manager"])
    assert response.status_code == 302, response.context["form"].errors
    assert post(manager, "/payments", payment_body(signed)).status_code == 201
    # still only on the contracts they see
    other = make_contract(owner=org.rep_d)
    assert post(manager, "/payments", payment_body(other)).status_code == 422
    row = RevenuePolicy.objects.get().history.first()
    assert row.history_user == org.admin and row.billing_roles == ["finance", "manager"]
    page = client.get("/revenue/policy/")
    assert 'data-testid="history-entry"' in page.content.decode()


def test_admin_lets_admins_amend_signed_contracts(client, org, signed):
    client.force_login(org.admin)
    policy_post(client, signed_contract_roles=["finance", "admin"])
    response = patch(client_for(org.admin), f"/contracts/{signed.pk}", {"amount": "1"})
    assert response.status_code == 200
    assert patch(client_for(org.rep_c), f"/contracts/{signed.pk}", {"amount": "2"}).status_code == (
        403
    )
    signed.refresh_from_db()
    assert signed.amount == Decimal("1")  # the admin's change, not the rep's


def test_over_contract_payments_refused_by_the_policy_page(client, org, signed):
    client.force_login(org.admin)
    policy_post(client, payment_over_contract="reject")
    response = post(client_for(org.finance), "/payments", payment_body(signed, "100001"))
    assert response.status_code == 422 and response.json()["field"] == "amount"
    assert not Payment.objects.filter(contract=signed).exists()


def test_a_bad_policy_names_the_field(client, org):
    client.force_login(org.admin)
    response = policy_post(client, billing_roles=["finance", "pope"])
    assert response.status_code == 200
    assert "billing_roles" in response.context["form"].errors
    assert RevenuePolicy.objects.get().billing_roles == ["finance"]


@pytest.mark.parametrize("role", ["rep_a", "manager_east", "director", "finance"])
def test_only_admins_open_the_policy_page(client, org, role):
    client.force_login(getattr(org, role))
    assert client.get("/revenue/policy/").status_code == 403
    assert client.post("/revenue/policy/", {"billing_roles": [role]}).status_code == 403
    assert RevenuePolicy.objects.get().billing_roles == ["finance"]


def test_the_policy_page_is_in_the_admins_settings_menu(client, org):
    client.force_login(org.admin)
    assert "/revenue/policy/" in client.get("/").content.decode()
    client.force_login(org.rep_a)
    assert "/revenue/policy/" not in client.get("/").content.decode()
