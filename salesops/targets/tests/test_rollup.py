"""The measure rollup (``MeasureMonth``): every write path leaves it equal to a fresh
recount, and the measures read from it give the raw records' sums (hand-computed)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from salesops.core import sweeps
from salesops.customers.models import Account
from salesops.customers.tests.factories import credit_code, make_account
from salesops.integrations import feed
from salesops.revenue import billing, services
from salesops.revenue.models import Contract, Payment
from salesops.revenue.tests.factories import make_contract, make_payment
from salesops.targets import measures, rollup
from salesops.targets.models import MeasureMonth

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = timezone.make_aware(dt.datetime(2026, 7, 15, 10, 0), timezone.get_default_timezone())


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


def rows() -> dict:
    """The rollup as {(measure, owner, product line, month): (amount, count)}."""
    return {
        (r.measure, r.owner_id, r.product_line, r.month): (r.amount, r.count)
        for r in MeasureMonth.objects.all()
    }


def assert_exact():
    """The rollup equals a fresh recount: rebuilding it changes no row."""
    before = rows()
    assert rollup.rebuild() == 0
    assert rows() == before


def pays(rep, month) -> tuple:
    return ("payments", rep.pk, "", month)


def test_service_writes_keep_the_rollup_exact(org):
    rep = org.rep_a
    contract = make_contract(owner=rep, signed_on=dt.date(2026, 3, 2), instalments=[])
    one = make_payment(contract, "30000.00", received_on=dt.date(2026, 3, 20))
    make_payment(contract, "10000.50", received_on=dt.date(2026, 3, 31))
    mar, apr = dt.date(2026, 3, 1), dt.date(2026, 4, 1)
    assert rows() == {
        ("contracts", rep.pk, "", mar): (D("100000.00"), 1),
        pays(rep, mar): (D("40000.50"), 2),
    }
    assert_exact()
    # a payment moved to April leaves March's bucket and enters April's
    billing.payment_update(actor=org.finance, payment=one, received_on=dt.date(2026, 4, 2))
    assert rows()[pays(rep, mar)] == (D("10000.50"), 1)
    assert rows()[pays(rep, apr)] == (D("30000.00"), 1)
    assert_exact()
    # a changed amount is recounted, not added
    billing.payment_update(actor=org.finance, payment=one, amount=D("25000.00"))
    assert rows()[pays(rep, apr)] == (D("25000.00"), 1)
    # a deleted payment empties its bucket: the row goes
    Payment.objects.get(pk=one.pk).delete()
    assert pays(rep, apr) not in rows()
    assert_exact()


def test_a_contract_owner_change_moves_its_payments_and_its_signing(org):
    a, b = org.rep_a, org.rep_b
    contract = make_contract(owner=a, signed_on=dt.date(2026, 3, 2), instalments=[])
    make_payment(contract, "30000.00", received_on=dt.date(2026, 3, 20))
    make_payment(contract, "20000.00", received_on=dt.date(2026, 5, 6))
    services.contract_update(actor=org.admin, contract=contract, owner=b)
    mar, may = dt.date(2026, 3, 1), dt.date(2026, 5, 1)
    assert rows() == {
        ("contracts", b.pk, "", mar): (D("100000.00"), 1),
        pays(b, mar): (D("30000.00"), 1),
        pays(b, may): (D("20000.00"), 1),
    }
    assert_exact()


def test_only_signed_contracts_count(org):
    contract = make_contract(owner=org.rep_a, status="draft", signed_on=None, instalments=[])
    assert rows() == {}
    services.contract_update(
        actor=org.admin, contract=contract, status="signed", signed_on=dt.date(2026, 6, 30)
    )
    assert rows() == {("contracts", org.rep_a.pk, "", dt.date(2026, 6, 1)): (D("100000.00"), 1)}
    assert_exact()


def test_a_feed_batch_keeps_the_rollup_exact(org):
    account = make_account(org.rep_a, credit_code=credit_code())
    Account.objects.filter(pk=account.pk).update(external_id="CUST-1")
    contract = {
        "account_external_id": "CUST-1",
        "number": "HT-2026-001",
        "amount": "120000.00",
        "status": "signed",
        "signed_on": "2026-03-02",
        "product_line": "CRM",
    }
    records = [{"kind": "contract", "external_id": "K-1", "data": contract}] + [
        {
            "kind": "payment",
            "external_id": f"P-{n}",
            "data": {"contract_external_id": "K-1", "amount": "10000", "received_on": day},
        }
        for n, day in enumerate(("2026-03-15", "2026-03-31", "2026-04-01"))
    ]
    with transaction.atomic():
        result = feed.process(actor=org.finance, records=records, source="kingdee")
    assert result["counts"]["created"] == 4, result
    rep = org.rep_a.pk
    assert rows() == {
        ("contracts", rep, "CRM", dt.date(2026, 3, 1)): (D("120000.00"), 1),
        ("payments", rep, "CRM", dt.date(2026, 3, 1)): (D("20000.00"), 2),
        ("payments", rep, "CRM", dt.date(2026, 4, 1)): (D("10000.00"), 1),
    }
    assert_exact()


def test_rebuild_counts_rows_written_around_the_signals(org):
    contract = make_contract(owner=org.rep_a, signed_on=dt.date(2026, 3, 2), instalments=[])
    Payment.objects.bulk_create(
        [
            Payment(
                contract=contract,
                account=contract.account,
                amount=D("500.00"),
                received_on=dt.date(2026, 4, day),
            )
            for day in (1, 2, 3)
        ]
    )
    Contract.objects.filter(pk=contract.pk).update(product_line="CRM")
    # the bulk insert and the update bypassed the signals: the nightly sweep fixes it
    summary = dict(sweeps.run_all(TODAY))[rollup.SWEEP_NAME]
    assert summary == "3 measure buckets corrected"
    assert rows() == {
        ("contracts", org.rep_a.pk, "CRM", dt.date(2026, 3, 1)): (D("100000.00"), 1),
        ("payments", org.rep_a.pk, "CRM", dt.date(2026, 4, 1)): (D("1500.00"), 3),
    }
    assert dict(sweeps.run_all(TODAY))[rollup.SWEEP_NAME] == "measure rollup exact"


def test_a_range_cut_mid_month_reads_the_days_it_covers(org):
    a, b = org.rep_a, org.rep_b
    ca = make_contract(owner=a, signed_on=dt.date(2026, 3, 2), instalments=[])
    cb = make_contract(owner=b, signed_on=dt.date(2026, 3, 2), instalments=[])
    make_payment(ca, "1000.00", received_on=dt.date(2026, 6, 10))
    make_payment(ca, "200.00", received_on=dt.date(2026, 7, 3))
    make_payment(ca, "30.00", received_on=dt.date(2026, 7, 14))  # a's July straddles the 12th
    make_payment(cb, "4000.00", received_on=dt.date(2026, 7, 1))  # b's July lies inside
    make_payment(cb, "500.00", received_on=dt.date(2026, 6, 20))
    start, end = dt.date(2026, 6, 15), dt.date(2026, 7, 13)  # 15 June through 12 July
    assert measures.by_owner("payments", start=start, end=end) == {
        a.pk: D("200.00"),
        b.pk: D("4500.00"),
    }
    assert measures.by_month("payments", start=start, end=end) == {
        dt.date(2026, 6, 1): D("500.00"),
        dt.date(2026, 7, 1): D("4200.00"),
    }
    assert measures.total("payments", start=dt.date(2026, 1, 1), end=end) == D("5700.00")
    assert measures.by_owner_month("payments", start=dt.date(2026, 6, 1), end=end) == {
        a.pk: {dt.date(2026, 6, 1): D("1000.00"), dt.date(2026, 7, 1): D("200.00")},
        b.pk: {dt.date(2026, 6, 1): D("500.00"), dt.date(2026, 7, 1): D("4000.00")},
    }
    # within one month, and an empty range
    assert measures.total("payments", start=dt.date(2026, 7, 2), end=dt.date(2026, 7, 14)) == D(
        "200.00"
    )
    assert measures.by_owner("payments", start=end, end=end) == {}
