"""Invoices by import: round trip, row errors, re-import, updates by number, and who
may record them."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from salesops.customers.tests.factories import make_account
from salesops.exchange.tests.helpers import run_import
from salesops.exchange.tests.revenue_import import (  # noqa: F401 (fixtures)
    errors,
    exported,
    headers,
    org_fixture,
    sheet,
    statuses,
    today_fixture,
)
from salesops.revenue import policy
from salesops.revenue.models import Invoice
from salesops.revenue.tests.factories import make_contract, make_invoice

pytestmark = pytest.mark.django_db

ZH = ["发票号", "合同", "金额", "开票日期", "状态"]
EN = ["invoice number", "contract", "amount", "issued on", "status"]


@pytest.fixture
def contract(org):
    return make_contract(make_account(org.rep_a), number="HT-A")


def test_round_trip_export_import_export_is_equal(org, contract):
    make_invoice(contract, number="FP001", note="首期")
    make_invoice(contract, "5000.00", number="FP002", status="void", external_id="K3-I2")
    before = exported("invoice", org.finance)
    Invoice.objects.all().delete()

    job = run_import(org.finance, "invoice", headers("invoice"), sheet("invoice", before))

    assert statuses(job) == [(2, "create"), (3, "create")]
    assert exported("invoice", org.finance) == before


def test_english_headers_chinese_dates_and_a_bad_row_does_not_stop_the_good(org, contract):
    rows = [
        ["FP001", "HT-A", "30000", "2026年3月21日", "已开具"],
        ["FP002", "HT-A", "1.5万", "2026/4/1", ""],
        ["FP003", "HT-Z", "100", "2026-04-01", ""],
        ["FP004", "HT-A", "100", "下周", ""],
        ["FP005", "HT-A", "-100", "2026-04-01", ""],
        ["FP006", "HT-A", "100", "2026-04-01", "作废中"],
    ]

    job = run_import(org.finance, "invoice", EN, rows)

    assert statuses(job) == [
        (2, "create"),
        (3, "create"),
        (4, "error"),
        (5, "error"),
        (6, "error"),
        (7, "error"),
    ]
    assert errors(job, 4)[0][0] == "contract"
    assert errors(job, 5)[0][0] == "issued_on" and "下周" in errors(job, 5)[0][1]
    assert errors(job, 6)[0][0] == "amount"
    assert errors(job, 7)[0][0] == "status"
    assert Invoice.objects.get(number="FP002").amount == Decimal("15000.00")
    assert sorted(Invoice.objects.values_list("number", flat=True)) == ["FP001", "FP002"]


def test_reimport_unchanged_and_a_changed_row_updates_the_same_invoice(org, contract):
    rows = [["FP001", "HT-A", "30000", "2026-03-21", ""]]
    assert statuses(run_import(org.finance, "invoice", ZH, rows)) == [(2, "create")]
    assert statuses(run_import(org.finance, "invoice", ZH, rows)) == [(2, "unchanged")]

    rows[0][4] = "void"
    assert statuses(run_import(org.finance, "invoice", ZH, rows)) == [(2, "update")]
    assert Invoice.objects.get(number="FP001").status == "void"
    assert Invoice.objects.count() == 1


def test_reps_may_not_import_invoices_and_a_manager_only_on_their_teams_contracts(org, contract):
    with pytest.raises(PermissionDenied):
        run_import(org.rep_a, "invoice", ZH, [["FP001", "HT-A", "100", "2026-04-02", ""]])
    policy.policy_update(actor=org.admin, billing_roles=["finance", "manager"])
    theirs = make_invoice(contract, number="FP009")

    job = run_import(
        org.manager_south, "invoice", ZH, [["FP009", "HT-A", "1", "2026-04-02", "void"]]
    )

    assert statuses(job) == [(2, "error")]
    assert errors(job, 2)[0][0] == "number"
    theirs.refresh_from_db()
    assert (theirs.amount, theirs.status) == (Decimal("30000.00"), "issued")
