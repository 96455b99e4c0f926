"""After-sales records through the finance/ERP feed over real HTTP: the account named by
its external id, the same batch twice changes nothing, a bad record is reported by field."""

import pytest
from django.test import Client

from salesops.aftersales.models import NpsResponse, ServiceTicket
from salesops.customers.models import Account
from salesops.org.services import api_token_create


@pytest.fixture
def erp(org):
    _, key = api_token_create(user=org.finance, name="erp")
    return Client(headers={"Authorization": f"Bearer {key}"})


@pytest.fixture
def customer(account):
    Account.objects.filter(pk=account.pk).update(external_id="CUST-9")
    account.refresh_from_db()
    return account


RECORDS = [
    {
        "kind": "ticket",
        "external_id": "T-1",
        "data": {
            "account_external_id": "CUST-9",
            "subject": "无法登录",
            "priority": "high",
            "opened_at": "2026-03-02T10:00:00",
            "first_response_at": "2026-03-02T10:30:00",
        },
    },
    {
        "kind": "nps",
        "external_id": "N-1",
        "data": {"account_external_id": "CUST-9", "score": 9, "responded_on": "2026-03-03"},
    },
    {
        "kind": "nps",
        "external_id": "N-2",
        "data": {"account_external_id": "CUST-9", "score": 11, "responded_on": "2026-03-03"},
    },
    {
        "kind": "renewal",
        "external_id": "R-1",
        "data": {"account_external_id": "CUST-404", "due_on": "2026-12-31", "amount": "1000"},
    },
]


def post(client):
    return client.post(
        "/api/v1/feed/batch",
        data={"source": "kingdee", "records": RECORDS},
        content_type="application/json",
    )


def test_after_sales_records_come_in_through_the_feed_batch(erp, customer):
    # when the ERP pushes a ticket, two NPS responses (one out of range) and a renewal of
    # an account it does not know
    response = post(erp)
    # then the good ones are stored with the account and the source system
    assert response.status_code == 200, response.content
    body = response.json()
    assert [r["status"] for r in body["results"]] == ["created", "created", "error", "error"]
    ticket = ServiceTicket.objects.get(external_id="T-1")
    assert ticket.account == customer and ticket.source == "kingdee"
    assert ticket.response_working_minutes == 30
    assert NpsResponse.objects.get(external_id="N-1").category == "promoter"
    # and each bad one is reported by its field
    bad = {r["index"]: r for r in body["results"] if r["status"] == "error"}
    assert bad[2]["errors"][0]["field"] == "score"
    assert bad[3]["errors"][0]["field"] == "account_external_id"
    assert not NpsResponse.objects.filter(external_id="N-2").exists()
    # when the same batch comes again, nothing changes
    again = post(erp).json()
    assert again["counts"] == {"created": 0, "updated": 0, "unchanged": 2, "error": 2}
    assert ticket.history.count() == 1
