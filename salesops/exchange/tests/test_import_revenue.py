"""The "export for re-import" file of every revenue entity, imported over the records it
came from, changes nothing."""

import datetime as dt

import pytest

from salesops.customers.tests.factories import make_account
from salesops.exchange.tests.helpers import run_import
from salesops.exchange.tests.revenue_import import (  # noqa: F401 (fixtures)
    exported,
    headers,
    org_fixture,
    sheet,
    statuses,
    today_fixture,
)
from salesops.revenue.models import Contract, Delivery, Invoice, Payment
from salesops.revenue.tests.factories import (
    DeliveryFactory,
    make_contract,
    make_invoice,
    make_payment,
)

pytestmark = pytest.mark.django_db


def test_the_export_imported_over_its_own_records_changes_nothing(org):
    contract = make_contract(make_account(org.rep_a), number="HT-A", product_line="MES")
    make_payment(contract, reference="LS-1")
    loose = make_payment(contract, "500.00", received_on=dt.date(2026, 4, 1))
    make_invoice(contract, number="FP001")
    DeliveryFactory(contract=contract, name="上线", planned_week="2026-W20")
    counts = [m.objects.count() for m in (Contract, Payment, Invoice, Delivery)]
    stored = {e: exported(e, org.admin) for e in ("contract", "payment", "invoice", "delivery")}

    jobs = {
        entity: run_import(org.admin, entity, headers(entity), sheet(entity, rows))
        for entity, rows in stored.items()
    }

    assert statuses(jobs["contract"]) == [(2, "unchanged")]
    assert statuses(jobs["invoice"]) == [(2, "unchanged")]
    assert statuses(jobs["delivery"]) == [(2, "unchanged")]
    # The payment with a bank reference is found again; the one without is the same
    # contract, day and amount as a stored one: a duplicate, not a second payment.
    assert statuses(jobs["payment"]) == [(2, "unchanged"), (3, "duplicate")]
    assert f"#{loose.pk}" in jobs["payment"].rows.get(row_no=3).message
    assert [m.objects.count() for m in (Contract, Payment, Invoice, Delivery)] == counts
    assert {e: exported(e, org.admin) for e in stored} == stored
    assert Contract.objects.get().history.count() == 1
