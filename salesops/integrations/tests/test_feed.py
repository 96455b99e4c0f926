"""The finance feed over real HTTP: idempotent upserts, batches, errors, events, access."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from salesops.aftersales.models import ServiceTicket
from salesops.core import events
from salesops.customers.models import Account
from salesops.customers.tests.factories import credit_code, make_account
from salesops.org.services import api_token_create
from salesops.revenue.models import Contract, Delivery, Invoice, Payment

API = "/api/v1"


def token_client(user) -> Client:
    _, key = api_token_create(user=user, name="erp")
    return Client(headers={"Authorization": f"Bearer {key}"})


def put(client, kind, external_id, data):
    return client.put(
        f"{API}/feed/{kind}/{external_id}", data=data, content_type="application/json"
    )


def batch(client, records, source="kingdee"):
    return client.post(
        f"{API}/feed/batch",
        data={"source": source, "records": records},
        content_type="application/json",
    )


@pytest.fixture
def erp(org):
    return token_client(org.finance)


@pytest.fixture
def account(org):
    account = make_account(org.rep_a, credit_code=credit_code())
    Account.objects.filter(pk=account.pk).update(external_id="CUST-1")
    account.refresh_from_db()
    return account


CONTRACT = {
    "account_external_id": "CUST-1",
    "number": "HT-2026-001",
    "amount": "120000.00",
    "status": "signed",
    "signed_on": "2026-03-02",
    "product_line": "CRM",
    "instalments": [
        {"due_on": "2026-03-16", "percent": 30},
        {"due_on": "2026-06-30", "percent": 70},
    ],
}


def test_same_contract_twice_changes_nothing(
    org, erp, account, seen, django_capture_on_commit_callbacks
):
    # given a contract pushed by the ERP
    with django_capture_on_commit_callbacks(execute=True):
        first = put(erp, "contract", "K-1", CONTRACT)
    assert first.status_code == 201, first.content
    assert first.json()["status"] == "created"
    contract = Contract.objects.get(external_id="K-1")
    assert contract.owner == org.rep_a and contract.source == "feed"
    assert contract.first_payment_percent == Decimal("30.00")
    rows, events_before = contract.history.count(), len(seen)
    assert "contract.signed" in [n for n, _ in seen]
    # when the very same record is sent again
    with django_capture_on_commit_callbacks(execute=True):
        again = put(erp, "contract", "K-1", CONTRACT)
    # then nothing was written: no history row, no event
    assert again.status_code == 200
    assert again.json()["status"] == "unchanged"
    assert contract.history.count() == rows
    assert len(seen) == events_before
    assert Contract.objects.count() == 1


def test_changed_contract_is_updated_with_history(org, erp, account):
    put(erp, "contract", "K-1", CONTRACT)
    contract = Contract.objects.get(external_id="K-1")
    rows = contract.history.count()
    response = put(erp, "contract", "K-1", {**CONTRACT, "amount": "150000.00"})
    assert response.json()["status"] == "updated"
    contract.refresh_from_db()
    assert contract.amount == Decimal("150000.00")
    assert contract.history.count() == rows + 1
    assert contract.history.first().history_user == org.finance
    # the plan follows the new amount
    assert [i.amount for i in contract.instalments.order_by("sequence")] == [
        Decimal("45000.00"),
        Decimal("105000.00"),
    ]


def test_unknown_references_are_422_naming_the_field(erp, account):
    response = put(erp, "payment", "P-1", {"contract_external_id": "NOPE", "amount": "1"})
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "contract_external_id"
    assert "P-1" in body["message"] and "NOPE" in body["message"]
    assert not Payment.objects.exists()


def test_bad_payment_is_422_naming_each_field(erp, account):
    put(erp, "contract", "K-1", CONTRACT)
    response = put(
        erp,
        "payment",
        "P-1",
        {"contract_number": "HT-2026-001", "amount": -5, "received_on": "2026-02-01"},
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"amount", "received_on"}
    assert Payment.objects.count() == 0


def test_batch_keeps_the_good_records_and_reports_each_bad_one(
    erp, account, seen, django_capture_on_commit_callbacks
):
    records = [
        {"kind": "contract", "external_id": "K-1", "data": CONTRACT},
        # refers to the contract created by the record before it
        {
            "kind": "payment",
            "external_id": "P-1",
            "data": {
                "contract_external_id": "K-1",
                "amount": 36000,
                "received_on": "2026-03-15",
                "instalment_sequence": 1,
                "method": "bank_transfer",
            },
        },
        {
            "kind": "payment",
            "external_id": "P-2",
            "data": {"contract_external_id": "K-404", "amount": "1", "received_on": "2026-03-15"},
        },
        {
            "kind": "invoice",
            "external_id": "I-1",
            "data": {
                "contract_number": "HT-2026-001",
                "number": "FP001",
                "amount": "36000",
                "issued_on": "2026-03-16",
            },
        },
        {
            "kind": "delivery",
            "external_id": "D-1",
            "data": {"contract_external_id": "K-1", "name": "Go-live", "planned_week": "2026-W60"},
        },
        {"kind": "spaceship", "external_id": "T-1", "data": {}},
        {
            "kind": "delivery",
            "external_id": "D-2",
            "data": {"contract_external_id": "K-1", "name": "Kick-off", "planned_week": "2026-W12"},
        },
    ]
    with django_capture_on_commit_callbacks() as callbacks:
        response = batch(erp, records)
    assert seen == []  # nothing is dispatched before the commit
    for callback in callbacks:
        callback()
    assert response.status_code == 200, response.content
    body = response.json()
    statuses = [r["status"] for r in body["results"]]
    assert statuses == ["created", "created", "error", "created", "error", "error", "created"]
    assert body["counts"] == {"created": 4, "updated": 0, "unchanged": 0, "error": 3}
    bad = {r["index"]: r for r in body["results"] if r["status"] == "error"}
    assert bad[2]["external_id"] == "P-2"
    assert bad[2]["errors"][0]["field"] == "contract_external_id"
    assert bad[4]["errors"][0]["field"] == "planned_week"
    assert bad[5]["errors"][0]["field"] == "kind"
    # the good ones are saved, with the source system
    payment = Payment.objects.get(external_id="P-1")
    assert payment.instalment.sequence == 1 and payment.source == "kingdee"
    assert Invoice.objects.filter(external_id="I-1").exists()
    assert list(Delivery.objects.values_list("external_id", flat=True)) == ["D-2"]
    # and each event went out once, after the commit; none for the refused records
    names = [n for n, _ in seen]
    assert names.count("payment.received") == 1
    assert names.count("contract.signed") == 1
    assert names.count("invoice.issued") == 1
    # when the same batch is sent again, the good records are unchanged and nothing fires
    seen.clear()
    with django_capture_on_commit_callbacks(execute=True):
        again = batch(erp, records).json()
    assert again["counts"] == {"created": 0, "updated": 0, "unchanged": 4, "error": 3}
    assert seen == []


def test_same_record_twice_in_one_batch(erp, account):
    records = [{"kind": "contract", "external_id": "K-1", "data": CONTRACT}] * 2
    body = batch(erp, records).json()
    assert [r["status"] for r in body["results"]] == ["created", "unchanged"]
    # one row, written once: the second record saw the first's queued row
    contract = Contract.objects.get()
    assert [r["id"] for r in body["results"]] == [contract.pk, contract.pk]
    assert contract.history.count() == 1
    assert contract.instalments.count() == 2


def test_over_payment_through_the_feed_is_flagged(erp, account):
    put(erp, "contract", "K-1", CONTRACT)
    base = {"contract_external_id": "K-1", "received_on": "2026-04-01"}
    put(erp, "payment", "P-1", {**base, "amount": "100000"})
    response = put(erp, "payment", "P-2", {**base, "amount": "30000"})
    assert response.status_code == 201
    assert Payment.objects.get(external_id="P-2").flagged


def test_batch_over_1000_records_is_413(erp):
    records = [{"kind": "payment", "external_id": f"P-{i}", "data": {}} for i in range(1001)]
    response = batch(erp, records)
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert "1000" in response.json()["message"] and "1001" in response.json()["message"]


@pytest.mark.parametrize("role", ["rep_a", "manager_east", "director", "cs"])
def test_only_admin_and_finance_may_use_the_feed(org, account, role):
    client = token_client(getattr(org, role))
    assert put(client, "contract", "K-1", CONTRACT).status_code == 403
    assert (
        batch(client, [{"kind": "contract", "external_id": "K-1", "data": CONTRACT}]).status_code
        == 403
    )
    assert Contract.objects.count() == 0


def test_admin_may_use_the_feed(org, account):
    # when an admin's token pushes a contract
    response = put(token_client(org.admin), "contract", "K-1", CONTRACT)
    # then it is stored as finance's would be, on the named account, audited as the admin
    assert response.status_code == 201, response.content
    contract = Contract.objects.get(external_id="K-1")
    assert response.json() == {
        "index": 0,
        "kind": "contract",
        "external_id": "K-1",
        "status": "created",
        "id": contract.pk,
        "errors": [],
        "warnings": [],
    }
    assert contract.account == account and contract.owner == org.rep_a
    assert contract.number == "HT-2026-001" and contract.amount == Decimal("120000.00")
    assert contract.source == "feed"
    assert contract.history.get().history_user == org.admin


def test_unknown_kind_is_404(erp):
    response = put(erp, "spaceship", "X", {})
    assert response.status_code == 404
    body = response.json()
    # the sender learns which kinds there are
    assert body["code"] == "not_found"
    assert "contract" in body["message"] and "ticket" in body["message"]


def test_account_by_credit_code_and_mismatched_account(org, erp, account):
    data = {**CONTRACT, "account_credit_code": account.credit_code}
    del data["account_external_id"]
    assert put(erp, "contract", "K-1", data).status_code == 201
    assert Contract.objects.get(external_id="K-1").account == account
    other = make_account(org.rep_b, credit_code=credit_code())
    response = put(
        erp,
        "payment",
        "P-1",
        {
            "contract_external_id": "K-1",
            "account_credit_code": other.credit_code,
            "amount": "1",
            "received_on": dt.date(2026, 4, 1).isoformat(),
        },
    )
    assert response.status_code == 422
    assert response.json()["field"] == "account_credit_code"
    assert not Payment.objects.exists()


def test_over_payment_within_one_batch_is_flagged(erp, account):
    put(erp, "contract", "K-1", CONTRACT)  # ¥120,000
    base = {"contract_external_id": "K-1", "received_on": "2026-04-01"}
    records = [
        {"kind": "payment", "external_id": "P-1", "data": {**base, "amount": "100000"}},
        {"kind": "payment", "external_id": "P-2", "data": {**base, "amount": "30000"}},
        {"kind": "payment", "external_id": "P-1", "data": {**base, "amount": "90000"}},
    ]
    body = batch(erp, records).json()
    assert [r["status"] for r in body["results"]] == ["created", "created", "updated"]
    # the second took the contract over its amount when it arrived; the correction of
    # the first brings the total back to ¥120,000, which the next check sees
    assert Payment.objects.get(external_id="P-2").flagged
    response = put(erp, "payment", "P-3", {**base, "amount": "0.01"})
    assert Payment.objects.get(external_id="P-3").flagged
    assert response.status_code == 201


def test_a_refused_change_does_not_leak_into_the_next_record(erp, account):
    put(erp, "contract", "K-1", CONTRACT)
    good = {"contract_external_id": "K-1", "received_on": "2026-04-01", "amount": "100"}
    put(erp, "payment", "P-1", good)
    records = [
        {"kind": "payment", "external_id": "P-1", "data": {**good, "amount": "-1", "note": "x"}},
        {"kind": "payment", "external_id": "P-1", "data": good},
    ]
    body = batch(erp, records, source="feed").json()
    assert [r["status"] for r in body["results"]] == ["error", "unchanged"]
    assert Payment.objects.get(external_id="P-1").note == ""


# --- the queued write (core.unitofwork) and its fall-back ------------------------------------


def test_two_invoices_with_one_number_in_a_batch(erp, account):
    put(erp, "contract", "K-1", CONTRACT)
    invoice = {"contract_external_id": "K-1", "amount": "100", "issued_on": "2026-03-16"}
    put(erp, "invoice", "I-0", {**invoice, "number": "FP000"})
    records = [
        {"kind": "invoice", "external_id": "I-1", "data": {**invoice, "number": "FP001"}},
        {"kind": "invoice", "external_id": "I-2", "data": {**invoice, "number": "FP001"}},
        {"kind": "invoice", "external_id": "I-3", "data": {**invoice, "number": "FP000"}},
    ]
    body = batch(erp, records).json()
    # the second reuses the first's number, the third one stored before: each named
    assert [r["status"] for r in body["results"]] == ["created", "error", "error"]
    assert {r["errors"][0]["field"] for r in body["results"][1:]} == {"number"}
    assert sorted(Invoice.objects.values_list("external_id", flat=True)) == ["I-0", "I-1"]


def test_a_refused_new_contract_leaves_nothing_behind(erp, account):
    # the contract and its plan are queued before its schedule is found bad
    bad = {**CONTRACT, "milestones": [{"name": "上线", "planned_week": "2026-W99"}]}
    good = {**CONTRACT, "number": "HT-2026-002"}
    records = [
        {"kind": "contract", "external_id": "K-1", "data": bad},
        {"kind": "contract", "external_id": "K-2", "data": good},
    ]
    body = batch(erp, records).json()
    assert [r["status"] for r in body["results"]] == ["error", "created"]
    assert body["results"][0]["errors"][0]["field"] == "milestones.0.planned_week"
    assert list(Contract.objects.values_list("external_id", flat=True)) == ["K-2"]
    kept = Contract.objects.get()
    assert kept.instalments.count() == 2
    assert Contract.history.count() == 1
    assert body["results"][1]["id"] == kept.pk


def test_a_clash_only_the_database_sees_runs_the_batch_again_one_by_one(
    org, erp, account, caplog, django_capture_on_commit_callbacks
):
    Account.objects.filter(pk=account.pk).update(external_id="CUST-1")
    ticket = {"account_external_id": "CUST-1", "opened_at": "2026-03-02T10:00:00"}
    # the same ticket twice: after-sales kinds look their rows up one by one, so the
    # second is queued as new too and the database refuses the second insert
    records = [
        {"kind": "ticket", "external_id": "T-1", "data": {**ticket, "subject": "无法登录"}},
        {"kind": "payment", "external_id": "P-1", "data": {"contract_external_id": "K-404"}},
        {"kind": "ticket", "external_id": "T-1", "data": {**ticket, "subject": "仍无法登录"}},
    ]
    seen = []

    def handler(name, payload):
        if name.startswith("ticket."):
            seen.append(name)

    events.subscribe("*", handler)
    try:
        with caplog.at_level("INFO"), django_capture_on_commit_callbacks(execute=True):
            body = batch(erp, records).json()
    finally:
        events.unsubscribe("*", handler)
    assert "again one by one" in caplog.text
    # the second run gives what saving them one at a time gives: created, then updated
    assert [r["status"] for r in body["results"]] == ["created", "error", "updated"]
    stored = ServiceTicket.objects.get()
    assert stored.subject == "仍无法登录" and body["results"][0]["id"] == stored.pk
    assert stored.history.count() == 2
    # and the first attempt's events were dropped with its rows
    assert seen == ["ticket.opened", "ticket.updated"]


# --- warnings in the per-record result (issue 11, item 11c) -----------------------------------


def test_a_flagged_payment_carries_its_warning_in_the_result(erp, account):
    # given a ¥120,000 contract of which ¥100,000 is paid
    put(erp, "contract", "K-1", CONTRACT)
    base = {"contract_external_id": "K-1", "received_on": "2026-04-01"}
    first = put(erp, "payment", "P-1", {**base, "amount": "100000"})
    assert first.json()["warnings"] == []
    # when the ERP sends ¥30,000 more, alone and in a batch
    single = put(erp, "payment", "P-2", {**base, "amount": "30000"})
    records = [{"kind": "payment", "external_id": "P-3", "data": {**base, "amount": "5"}}]
    batched = batch(erp, records).json()["results"][0]
    # then both are kept, and each result says what was flagged and on which field
    assert single.status_code == 201
    assert batched["status"] == "created"
    for result, external_id in ((single.json(), "P-2"), (batched, "P-3")):
        [warning] = result["warnings"]
        assert warning["code"] == "over_contract"
        assert warning["field"] == "amount"
        assert warning["message"] == Payment.objects.get(external_id=external_id).flag_reason
        assert "HT-2026-001" in warning["message"]


def test_the_warning_is_translated_for_the_sender(erp, account):
    put(erp, "contract", "K-1", CONTRACT)
    base = {"contract_external_id": "K-1", "received_on": "2026-04-01"}
    response = erp.put(
        f"{API}/feed/payment/P-1",
        data={**base, "amount": "130000"},
        content_type="application/json",
        headers={"Accept-Language": "zh-hans"},
    )
    [warning] = response.json()["warnings"]
    assert "HT-2026-001" in warning["message"]
    assert "remained" not in warning["message"]
