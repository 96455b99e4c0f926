"""Payments (回款) by import: round trip, row errors, re-import, updates by bank
reference and external id, duplicates, and who may record money."""

import datetime as dt
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
from salesops.revenue import billing, policy
from salesops.revenue.models import Payment
from salesops.revenue.tests.factories import make_contract, make_payment

pytestmark = pytest.mark.django_db

ZH = ["合同", "金额", "回款日期", "方式", "回款期次", "银行流水号"]
EN = ["contract", "amount", "received on", "method", "instalment", "bank reference"]


@pytest.fixture
def contract(org):
    return make_contract(make_account(org.rep_a), number="HT-A")


def test_round_trip_export_import_export_is_equal(org, contract):
    make_payment(contract, "30000.00", reference="LS-1", instalment=contract.instalments.first())
    make_payment(
        contract, "1000.00", method="cheque", note="尾差", external_id="K3-P2", source="kingdee"
    )
    before = exported("payment", org.finance)
    assert before[0]["instalment"] == 1 and before[1]["instalment"] is None
    Payment.objects.all().delete()

    job = run_import(org.finance, "payment", headers("payment"), sheet("payment", before))

    assert statuses(job) == [(2, "create"), (3, "create")]
    assert exported("payment", org.finance) == before
    payment = Payment.objects.get(reference="LS-1")
    assert payment.history.first().history_change_reason.endswith(f"import #{job.pk}")


def test_english_headers_chinese_dates_and_a_bad_row_does_not_stop_the_good(org, contract):
    rows = [
        ["HT-A", "3万", "2026年3月20日", "银行转账", 1, "LS-1"],
        ["HT-A", "¥12,000.50", "2026/4/2", "acceptance_bill", "", "LS-2"],
        ["HT-X", "100", "2026-04-02", "", "", "LS-3"],
        ["HT-A", "100", "2026/02/30", "", "", "LS-4"],
        ["HT-A", "100", "2026-04-02", "支付宝", "", "LS-5"],
        ["HT-A", "100", "2026-04-02", "", 9, "LS-6"],
    ]

    job = run_import(org.finance, "payment", EN, rows)

    assert statuses(job) == [
        (2, "create"),
        (3, "create"),
        (4, "error"),
        (5, "error"),
        (6, "error"),
        (7, "error"),
    ]
    assert errors(job, 4)[0][0] == "contract" and "HT-X" in errors(job, 4)[0][1]
    assert errors(job, 5)[0][0] == "received_on"
    assert errors(job, 6)[0][0] == "method" and "支付宝" in errors(job, 6)[0][1]
    assert errors(job, 7)[0][0] == "instalment" and "9" in errors(job, 7)[0][1]
    first = Payment.objects.get(reference="LS-1")
    assert (first.amount, first.received_on) == (Decimal("30000.00"), dt.date(2026, 3, 20))
    assert first.instalment.sequence == 1 and first.account == contract.account
    second = Payment.objects.get(reference="LS-2")
    assert (second.amount, second.method) == (Decimal("12000.50"), "acceptance_bill")
    assert Payment.objects.count() == 2


def test_reimport_unchanged_and_a_changed_row_updates_the_payment_by_reference(org, contract):
    rows = [
        ["HT-A", "30000", "2026-03-20", "", 1, "LS-1"],
        ["HT-A", "20000", "2026-04-20", "", "", "LS-2"],
    ]
    assert statuses(run_import(org.finance, "payment", ZH, rows)) == [(2, "create"), (3, "create")]

    again = run_import(org.finance, "payment", ZH, rows)
    assert statuses(again) == [(2, "unchanged"), (3, "unchanged")]
    assert Payment.objects.count() == 2

    rows[1][1] = "25000"
    changed = run_import(org.finance, "payment", ZH, rows)
    assert statuses(changed) == [(2, "unchanged"), (3, "update")]
    assert Payment.objects.get(reference="LS-2").amount == Decimal("25000.00")
    assert Payment.objects.count() == 2


def test_the_same_payment_without_a_reference_is_a_duplicate(org, contract):
    stored = make_payment(contract, "30000.00", received_on=dt.date(2026, 3, 20))
    rows = [["HT-A", "30000", "2026年3月20日", "", "", ""]]

    job = run_import(org.finance, "payment", ZH, rows)

    assert statuses(job) == [(2, "duplicate")]
    assert f"#{stored.pk}" in job.rows.get(row_no=2).message
    assert Payment.objects.count() == 1


def test_an_external_id_updates_the_payment_the_finance_feed_wrote(org, contract):
    fed = billing.payment_record(
        actor=org.finance,
        contract=contract,
        amount=Decimal("30000"),
        received_on=dt.date(2026, 3, 20),
        external_id="K3-P1",
        source="kingdee",
    )
    job = run_import(
        org.finance,
        "payment",
        ["外部编号", "合同", "金额", "回款日期", "银行流水号"],
        [["K3-P1", "HT-A", "30000", "2026-03-21", "LS-9"]],
    )

    assert statuses(job) == [(2, "update")]
    fed.refresh_from_db()
    assert (fed.received_on, fed.reference) == (dt.date(2026, 3, 21), "LS-9")
    assert Payment.objects.count() == 1


def test_reps_may_not_import_money_and_a_manager_only_on_their_teams_contracts(org, contract):
    with pytest.raises(PermissionDenied):
        run_import(org.rep_a, "payment", ZH, [["HT-A", "100", "2026-04-02", "", "", ""]])
    policy.policy_update(actor=org.admin, billing_roles=["finance", "manager"])
    make_contract(make_account(org.rep_d), number="HT-D")
    rows = [
        ["HT-A", "100", "2026-04-02", "", "", "LS-1"],
        ["HT-D", "100", "2026-04-02", "", "", "LS-2"],
    ]

    job = run_import(org.manager_south, "payment", ZH, rows)

    assert statuses(job) == [(2, "error"), (3, "create")]
    assert errors(job, 2)[0][0] == "contract"
    assert list(Payment.objects.values_list("contract__number", flat=True)) == ["HT-D"]
