"""Contracts by import: round trip, the payment-plan column, row errors, re-import,
updates by number and by external id, and who may change what."""

import datetime as dt
from decimal import Decimal

import pytest

from salesops.customers.tests.factories import make_account
from salesops.customization.tests.factories import make_definition
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
from salesops.pipeline.tests.factories import make_deal
from salesops.revenue import services
from salesops.revenue.models import Contract
from salesops.revenue.tests.factories import make_contract

pytestmark = pytest.mark.django_db

ZH = ["合同编号", "客户", "负责人", "合同金额", "签订日期", "状态", "付款计划"]
EN = [
    "contract number",
    "account",
    "owner",
    "contract amount",
    "signed on",
    "status",
    "payment plan",
]


def test_round_trip_export_import_export_is_equal(org):
    account = make_account(org.rep_a, credit_code="91440101MA5CR7E9XA")
    deal = make_deal(owner=org.rep_a, account=account, name="二期扩容")
    make_contract(
        account,
        number="HT-A",
        deal=deal,
        product_line="SaaS",
        clauses="按年续费",
        attachments=[
            {"name": "扫描件", "url": "https://files.example.com/ht-a.pdf"},
            {"name": "补充协议", "url": ""},
        ],
    )
    make_contract(
        make_account(org.rep_d),
        number="HT-B",
        status="draft",
        signed_on=None,
        instalments=[{"due_on": dt.date(2026, 9, 1), "percent": "100", "note": "全款"}],
        external_id="K3-B",
        source="kingdee",
    )
    before = exported("contract", org.admin)
    assert before[0]["instalments"] == "2026-03-16:30%;2026-06-30:60%;2026-12-31:10%"
    assert before[0]["deal"] == "二期扩容" and before[0]["account"] == "91440101MA5CR7E9XA"
    assert before[0]["attachments"] == "扫描件|https://files.example.com/ht-a.pdf;补充协议"
    Contract.objects.all().delete()

    job = run_import(org.admin, "contract", headers("contract"), sheet("contract", before))

    assert statuses(job) == [(2, "create"), (3, "create")]
    assert exported("contract", org.admin) == before
    contract = Contract.objects.get(number="HT-A")
    assert contract.history.first().history_change_reason.endswith(f"import #{job.pk}")


def test_english_headers_chinese_dates_and_the_plan_column(org):
    account = make_account(org.rep_a, name="上海甲乙机械有限公司")
    rows = [
        [
            "HT-1",
            "上海甲乙机械有限公司",
            "rep_a",
            "12.8万",
            "2026年3月2日",
            "已签约",
            "2026年4月1日:30%；2026/12/31:70%:验收款",
        ],
        ["HT-2", "上海甲乙机械有限公司", "Rep A", "¥5,000.00", "2026/3/5", "draft", ""],
    ]

    job = run_import(org.manager_east, "contract", EN, rows)

    assert statuses(job) == [(2, "create"), (3, "create")]
    first = Contract.objects.get(number="HT-1")
    assert (first.account, first.owner, first.amount) == (account, org.rep_a, Decimal("128000.00"))
    assert first.signed_on == dt.date(2026, 3, 2) and first.status == "signed"
    plan = [(i.due_on, i.percent, i.amount, i.note) for i in first.instalments.order_by("sequence")]
    assert plan == [
        (dt.date(2026, 4, 1), Decimal("30.00"), Decimal("38400.00"), ""),
        (dt.date(2026, 12, 31), Decimal("70.00"), Decimal("89600.00"), "验收款"),
    ]
    assert Contract.objects.get(number="HT-2").instalments.count() == 0


def test_bad_rows_are_reported_by_row_and_field_and_good_rows_written(org):
    make_account(org.rep_a, name="上海甲乙机械有限公司")
    rows = [
        ["HT-1", "上海甲乙机械有限公司", "", "10000", "2026-13-45", "signed", ""],
        ["HT-2", "不存在的公司", "", "10000", "2026-03-02", "signed", ""],
        ["HT-3", "上海甲乙机械有限公司", "", "10000", "2026-03-02", "盖章中", ""],
        ["HT-4", "上海甲乙机械有限公司", "", "10000", "2026-03-02", "signed", "2026-04-01:30%"],
        ["HT-5", "上海甲乙机械有限公司", "nobody", "10000", "2026-03-02", "signed", ""],
        ["HT-6", "上海甲乙机械有限公司", "", "10000", "2026-03-02", "signed", ""],
    ]

    job = run_import(org.admin, "contract", ZH, rows)

    assert statuses(job) == [
        (2, "error"),
        (3, "error"),
        (4, "error"),
        (5, "error"),
        (6, "error"),
        (7, "create"),
    ]
    assert errors(job, 2)[0][0] == "signed_on" and "2026-13-45" in errors(job, 2)[0][1]
    assert errors(job, 3)[0][0] == "account" and "不存在的公司" in errors(job, 3)[0][1]
    assert errors(job, 4)[0][0] == "status" and "盖章中" in errors(job, 4)[0][1]
    assert errors(job, 5)[0][0] == "instalments" and "30" in errors(job, 5)[0][1]
    assert errors(job, 6)[0][0] == "owner" and "nobody" in errors(job, 6)[0][1]
    assert job.rows.get(row_no=2).errors[0]["label"] == "签订日期"
    assert list(Contract.objects.values_list("number", flat=True)) == ["HT-6"]


def test_reimport_is_unchanged_and_a_changed_row_updates_the_same_contract(org):
    make_account(org.rep_a, name="上海甲乙机械有限公司")
    rows = [
        ["HT-1", "上海甲乙机械有限公司", "", "10000", "2026-03-02", "draft", "2026-04-01:100%"],
        ["HT-2", "上海甲乙机械有限公司", "", "20000", "2026-03-02", "draft", ""],
    ]
    first = run_import(org.rep_a, "contract", ZH, rows)
    assert statuses(first) == [(2, "create"), (3, "create")]

    again = run_import(org.rep_a, "contract", ZH, rows)
    assert statuses(again) == [(2, "unchanged"), (3, "unchanged")]
    assert Contract.objects.count() == 2

    rows[0][3] = "15000"
    changed = run_import(org.rep_a, "contract", ZH, rows)
    assert statuses(changed) == [(2, "update"), (3, "unchanged")]
    contract = Contract.objects.get(number="HT-1")
    assert contract.amount == Decimal("15000.00")
    assert [i.amount for i in contract.instalments.all()] == [Decimal("15000.00")]
    assert Contract.objects.count() == 2


def test_another_teams_account_or_contract_is_an_error_and_nothing_changes(org):
    east = make_account(org.rep_a, name="上海甲乙机械有限公司")
    theirs = make_contract(east, number="HT-A", status="draft", signed_on=None)
    rows = [
        ["HT-NEW", "上海甲乙机械有限公司", "", "10000", "", "draft", ""],
        ["HT-A", "上海甲乙机械有限公司", "", "99999", "", "draft", ""],
    ]

    south = run_import(org.manager_south, "contract", ZH, rows)
    assert statuses(south) == [(2, "error"), (3, "error")]
    assert errors(south, 2)[0][0] == "account"
    assert errors(south, 3)[0][0] == "number"

    colleague = run_import(org.rep_b, "contract", ZH, rows[1:])
    assert statuses(colleague) == [(2, "error")]
    assert errors(colleague, 2)[0][0] == "number"
    theirs.refresh_from_db()
    assert theirs.amount == Decimal("100000.00")
    assert list(Contract.objects.values_list("number", flat=True)) == ["HT-A"]


def test_signed_amount_is_changed_by_finance_not_by_the_rep(org):
    account = make_account(org.rep_a, name="上海甲乙机械有限公司")
    contract = make_contract(account, number="HT-A")
    row = ["HT-A", "上海甲乙机械有限公司", "rep_a", "120000", "2026-03-02", "signed", ""]

    rep = run_import(org.rep_a, "contract", ZH, [row])
    assert statuses(rep) == [(2, "error")]
    assert errors(rep, 2)[0][0] == "amount" and "HT-A" in errors(rep, 2)[0][1]

    finance = run_import(org.finance, "contract", ZH, [row])
    assert statuses(finance) == [(2, "update")]
    contract.refresh_from_db()
    assert contract.amount == Decimal("120000.00")
    assert contract.instalments.get(sequence=1).amount == Decimal("36000.00")


def test_an_external_id_updates_the_contract_the_finance_feed_wrote(org):
    account = make_account(org.rep_a, name="上海甲乙机械有限公司")
    fed = services.contract_create(
        actor=org.finance,
        account=account,
        number="K3-HT-9",
        amount=Decimal("50000"),
        external_id="K3-9",
        source="kingdee",
    )
    heads = ["外部编号", "合同编号", "客户", "合同金额", "产品线"]
    rows = [["K3-9", "HT-9", "上海甲乙机械有限公司", "50000", "MES"]]

    job = run_import(org.finance, "contract", heads, rows)

    assert statuses(job) == [(2, "update")]
    fed.refresh_from_db()
    assert (fed.number, fed.product_line, fed.source) == ("HT-9", "MES", "kingdee")
    assert Contract.objects.count() == 1


def test_custom_fields_import_by_their_label_and_export_again(org):
    make_definition(
        org.admin, entity="contract", key="region_code", type="text", label_zh="区域代码"
    )
    make_account(org.rep_a, name="上海甲乙机械有限公司")
    rows = [["HT-1", "上海甲乙机械有限公司", "10000", "华东-01"]]

    job = run_import(org.admin, "contract", ["合同编号", "客户", "合同金额", "区域代码"], rows)

    assert statuses(job) == [(2, "create")]
    assert Contract.objects.get(number="HT-1").custom == {"region_code": "华东-01"}
    assert exported("contract", org.admin)[0]["custom.region_code"] == "华东-01"


def test_attachments_column_and_a_bad_link_names_the_column(org):
    make_account(org.rep_a, name="上海甲乙机械有限公司")
    heads = ["合同编号", "客户", "合同金额", "附件"]
    rows = [
        [
            "HT-1",
            "上海甲乙机械有限公司",
            "10000",
            "扫描件|https://f.example.com/1.pdf；https://f.example.com/a/2.pdf",
        ],
        ["HT-2", "上海甲乙机械有限公司", "10000", "扫描件|javascript:alert(1)"],
    ]

    job = run_import(org.rep_a, "contract", heads, rows)

    assert statuses(job) == [(2, "create"), (3, "error")]
    assert Contract.objects.get(number="HT-1").attachments == [
        {"name": "扫描件", "url": "https://f.example.com/1.pdf"},
        {"name": "2.pdf", "url": "https://f.example.com/a/2.pdf"},
    ]
    field, message = errors(job, 3)[0]
    assert field == "attachments" and message.startswith("Attachment 1: ") and "https://" in message
