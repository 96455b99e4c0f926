"""LTV follows the events of the records it is computed from: a write through a service
queues the account after commit, and the next sweep (every minute) recomputes it. Real
services and a real database; the only thing a test does by hand is run the sweep."""

import datetime as dt
from decimal import Decimal

import pytest

from salesops.aftersales import services as aftersales_services
from salesops.aftersales.models import NpsResponse, Renewal
from salesops.aftersales.tests.factories import make_complaint, make_nps, make_renewal
from salesops.core import sweeps
from salesops.customers import services as customer_services
from salesops.customers.tests.factories import make_account
from salesops.reports import ltv
from salesops.reports.models import AccountValue, LtvQueue
from salesops.revenue import billing
from salesops.revenue import services as revenue_services
from salesops.revenue.models import Contract, Payment
from salesops.revenue.tests.factories import make_contract, make_payment


@pytest.fixture
def account(org):
    """¥100,000 signed, ¥30,000 paid, a ¥12,000 renewal pending, NPS 9 and 7; its value
    computed (70,000 outstanding + 12,000 × 0.8 = 79,600 projected), the queue empty."""
    account = make_account(org.rep_a, name="华星科技")
    contract = make_contract(account)
    make_payment(contract, "30000.00")
    make_renewal(account, amount=Decimal("12000.00"))
    make_nps(account, score=9)
    make_nps(account, score=7)
    ltv.ltv_recompute(account=account)
    LtvQueue.objects.all().delete()
    return account


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a write as if its transaction committed (the events are dispatched)."""

    def run(write, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return write(*args, **kwargs)

    return run


def value(account) -> AccountValue:
    return AccountValue.objects.get(account=account)


def sweep() -> str:
    return dict(sweeps.run_all())[ltv.SWEEP_NAME]


def test_editing_a_payment_amount_reaches_the_value_at_the_next_sweep(org, account, committed):
    payment = Payment.objects.get(account=account)
    # When: finance corrects the amount; nothing is recomputed in the request …
    committed(billing.payment_update, actor=org.finance, payment=payment, amount=Decimal("40000"))
    assert value(account).realised == Decimal("30000.00")
    assert LtvQueue.objects.filter(account_id=account.pk).exists()
    # … the sweep does it
    assert sweep() == "recomputed 1 account(s)"
    # Then
    assert value(account).realised == Decimal("40000.00")
    assert value(account).inputs["outstanding"] == "60000.00"
    assert not LtvQueue.objects.exists()


def test_an_nps_answer_reaches_the_value(org, account, committed):
    before = value(account).projected
    # When: a detractor answers (average 9, 7, 2 → 6.0)
    committed(make_nps, account, score=2, responded_on=dt.date(2026, 7, 1))
    sweep()
    # Then: 70,000 + 12,000 × 0.6
    assert value(account).inputs["nps_average"] == "6.0"
    assert value(account).projected == Decimal("77200.00") != before


def test_changing_an_nps_answer_reaches_the_value(org, account, committed):
    answer = NpsResponse.objects.filter(account=account).order_by("score").first()  # the 7
    committed(aftersales_services.nps_update, actor=org.rep_a, response=answer, score=3)
    sweep()
    assert value(account).inputs["nps_average"] == "6.0"


def test_opening_and_closing_a_major_complaint_reach_the_value(org, account, committed):
    # When: a major complaint is opened, the renewal counts half
    complaint = committed(make_complaint, account, severity="major")
    sweep()
    assert value(account).inputs["open_major_complaints"] == 1
    assert value(account).projected == Decimal("74800.00")
    # When: it is closed, the value is back
    committed(
        aftersales_services.complaint_update,
        actor=org.rep_a,
        complaint=complaint,
        status="closed",
    )
    sweep()
    assert value(account).inputs["open_major_complaints"] == 0
    assert value(account).projected == Decimal("79600.00")


def test_a_lost_renewal_and_a_changed_contract_reach_the_value(org, account, committed):
    renewal = Renewal.objects.get(account=account)
    committed(
        aftersales_services.renewal_update,
        actor=org.rep_a,
        renewal=renewal,
        status="lost",
        lost_reason="换了供应商",
    )
    contract = Contract.objects.get(account=account)
    committed(
        revenue_services.contract_update,
        actor=org.rep_a,
        contract=contract,
        amount=Decimal("90000"),
    )
    sweep()
    assert value(account).inputs["renewals_lost"] == 1
    assert value(account).inputs["pending_renewals"] == "0.00"
    assert value(account).inputs["outstanding"] == "60000.00"
    assert value(account).projected == Decimal("60000.00")


def test_only_the_queued_accounts_are_recomputed(org, account, committed):
    other = make_account(org.rep_b)
    ltv.ltv_recompute(account=other)
    untouched_at = value(other).computed_at
    committed(make_nps, account, score=10)
    assert sweep() == "recomputed 1 account(s)"
    assert value(other).computed_at == untouched_at
    assert sweep() == "no account changed"


def test_an_account_queued_again_during_a_recompute_stays_queued(org, account):
    # Given: the sweep has read the queue (token t1) …
    ltv.queue_accounts([account.pk])
    read = LtvQueue.objects.get(account_id=account.pk).token
    # … and a new event queues the account again before the row is removed
    ltv.queue_accounts([account.pk])
    # When: the row is removed with the token read
    LtvQueue.objects.filter(account_id=account.pk, token=read).delete()
    # Then: the account is still queued for the next run
    assert LtvQueue.objects.filter(account_id=account.pk).exists()


def test_a_deleted_account_is_dropped_from_the_queue(org, committed):
    account = make_account(org.rep_a)
    ltv.queue_accounts([account.pk])
    committed(customer_services.account_delete, actor=org.admin, account=account)
    assert sweep() == "no account changed"
    assert not LtvQueue.objects.exists()


def test_every_ltv_event_names_its_account(org, account, committed):
    """A service that stopped sending ``account_id`` would leave LTV stale until night."""
    from salesops.core import events
    from salesops.reports.subscriptions import LTV_EVENTS

    seen = []

    def record(name, payload):
        if name in LTV_EVENTS:
            seen.append((name, payload.get("account_id")))

    events.subscribe("*", record)
    try:
        contract = Contract.objects.get(account=account)
        committed(make_payment, contract, "1000.00", received_on=dt.date(2026, 7, 1))
        committed(
            billing.payment_update,
            actor=org.finance,
            payment=Payment.objects.filter(account=account).first(),
            amount=Decimal("31000"),
        )
        committed(
            revenue_services.contract_update, actor=org.rep_a, contract=contract, term_months=24
        )
        complaint = committed(make_complaint, account, severity="major")
        committed(
            aftersales_services.complaint_update,
            actor=org.rep_a,
            complaint=complaint,
            status="closed",
        )
        answer = committed(make_nps, account, score=4)
        committed(aftersales_services.nps_update, actor=org.rep_a, response=answer, score=5)
        renewal = committed(make_renewal, account, amount=Decimal("500.00"))
        committed(
            aftersales_services.renewal_update, actor=org.rep_a, renewal=renewal, status="renewed"
        )
    finally:
        events.unsubscribe("*", record)
    names = {name for name, _ in seen}
    assert names >= {
        "payment.received",
        "payment.updated",
        "contract.updated",
        "complaint.created",
        "complaint.updated",
        "nps.received",
        "nps.updated",
        "renewal.created",
        "renewal.updated",
    }
    assert {account_id for _, account_id in seen} == {account.pk}


@pytest.mark.django_db(transaction=True)
def test_a_feed_batch_queues_its_accounts_once_when_the_request_ends(org):
    """Real commits: the batch's events are dispatched inside the request, and its accounts
    are queued with one statement when the request ends, not one per event."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from salesops.integrations.tests.test_feed import batch, token_client

    contracts = [make_contract(make_account(org.rep_a)) for _ in range(2)]
    for n, contract in enumerate(contracts):
        Contract.objects.filter(pk=contract.pk).update(external_id=f"K{n}")
    LtvQueue.objects.all().delete()
    records = [
        {
            "kind": "payment",
            "external_id": f"P{n}",
            "data": {
                "contract_external_id": f"K{n % 2}",
                "amount": "100.00",
                "received_on": "2026-07-01",
                "method": "bank_transfer",
            },
        }
        for n in range(4)
    ]
    # When
    with CaptureQueriesContext(connection) as queries:
        response = batch(token_client(org.finance), records)
    # Then: four payments, two accounts, one queue statement
    assert response.status_code == 200, response.content
    assert [r["status"] for r in response.json()["results"]] == ["created"] * 4
    assert set(LtvQueue.objects.values_list("account_id", flat=True)) == {
        c.account_id for c in contracts
    }
    inserts = [q for q in queries if 'INTO "reports_ltvqueue"' in q["sql"]]
    assert len(inserts) == 1
    # And the sweep values both accounts
    assert sweep() == "recomputed 2 account(s)"
    assert {v.realised for v in AccountValue.objects.all()} == {Decimal("200.00")}
