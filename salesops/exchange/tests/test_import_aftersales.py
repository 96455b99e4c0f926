"""Importing complaints, NPS responses, service tickets and renewals: round trip, row
errors, idempotent re-import, updates by key, visibility."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from salesops.aftersales.models import Complaint, NpsResponse, Renewal, ServiceTicket
from salesops.aftersales.tests.factories import (
    at,
    make_complaint,
    make_nps,
    make_renewal,
    make_ticket,
)
from salesops.customers.tests.factories import make_account, make_contact
from salesops.customization.tests.factories import make_definition
from salesops.exchange import registry
from salesops.exchange.tests.helpers import csv_bytes, run_import, xlsx_bytes
from salesops.revenue.tests.factories import make_contract

pytestmark = pytest.mark.django_db

MODELS = {"complaint": Complaint, "nps": NpsResponse, "ticket": ServiceTicket, "renewal": Renewal}


def headers(entity, lang="zh"):
    return [f.names()[0 if lang == "zh" else 1] for f in registry.get(entity).fields()]


def as_rows(entity, exported):
    keys = [f.key for f in registry.get(entity).fields()]
    return [[row.get(k) for k in keys] for row in exported]


def statuses(job):
    return list(job.rows.order_by("row_no").values_list("status", flat=True))


def errors_of(job, row_no):
    return [(e["field"], e["message"]) for e in job.rows.get(row_no=row_no).errors]


@pytest.fixture
def book(org):
    """Two accounts of rep_a (one with a contact), one of rep_d (South); a custom field
    of complaints."""
    make_definition(
        org.admin, entity="complaint", key="root_cause", type="text", label_zh="根本原因"
    )
    east = make_account(org.rep_a, name="上海甲乙机械有限公司")
    other = make_account(org.rep_a, name="苏州丙丁电子有限公司", credit_code="91440101MA5CR7E9XA")
    south = make_account(org.rep_d, name="广州庚辛贸易有限公司")
    contact = make_contact(east, name="王经理")
    return {"east": east, "other": other, "south": south, "contact": contact}


def build_records(entity, book):
    east, other, contact = book["east"], book["other"], book["contact"]
    if entity == "complaint":
        make_complaint(
            east,
            contact=contact,
            summary="发货延迟",
            severity="major",
            status="resolved",
            details="第二批货晚到一周",
            raised_on=dt.date(2026, 3, 2),
            resolved_on=dt.date(2026, 3, 9),
            external_id="CRM-C-1",
            custom={"root_cause": "物流"},
        )
        make_complaint(other, summary="发票抬头错误", raised_on=dt.date(2026, 4, 1))
    elif entity == "nps":
        make_nps(east, contact=contact, score=6, comment="响应慢", survey="2026Q1")
        make_nps(other, score=10, responded_on=dt.date(2026, 5, 6), external_id="SV-77")
    elif entity == "ticket":
        make_ticket(
            east,
            contact=contact,
            subject="设备报警",
            priority="high",
            details="E12 报警",
            opened_at=at("2026-03-02", "10:00"),
            first_response_at=at("2026-03-02", "10:45"),
            resolved_at=at("2026-03-03", "16:30"),
            external_id="SD-1001",
        )
        make_ticket(other, subject="账号无法登录", opened_at=at("2026-04-07", "09:15"))
    else:
        make_renewal(
            east,
            contract_number="HT-2025-0001",
            due_on=dt.date(2026, 6, 30),
            status="lost",
            closed_on=dt.date(2026, 7, 2),
            lost_reason="预算削减",
            amount=Decimal("0.00"),
        )
        make_renewal(
            other,
            due_on=dt.date(2026, 9, 30),
            status="renewed",
            amount=Decimal("36800.50"),
            closed_on=dt.date(2026, 9, 1),
            external_id="ERP-R-9",
        )


@pytest.mark.parametrize(
    ("entity", "lang"),
    [(entity, lang) for entity in MODELS for lang in ("zh", "en")],
)
def test_round_trip_export_import_export(org, book, entity, lang):
    build_records(entity, book)
    importer = registry.get(entity)
    before = list(importer.export_rows(org.admin))
    assert len(before) == 2
    MODELS[entity].objects.all().delete()

    job = run_import(org.admin, entity, headers(entity, lang), as_rows(entity, before))

    assert statuses(job) == ["create", "create"], [r.errors for r in job.rows.all()]
    after = list(importer.export_rows(org.admin))
    assert after == before
    record = MODELS[entity].objects.order_by("pk").first()
    assert record.history.first().history_change_reason.endswith(f"import #{job.pk}")


def test_complaint_exports_with_natural_keys(org, book):
    build_records("complaint", book)
    rows = list(registry.get("complaint").export_rows(org.admin))
    assert rows[0]["account"] == "上海甲乙机械有限公司"
    assert rows[0]["contact"] == "王经理"
    assert rows[0]["owner"] == "rep_a"
    assert rows[0]["raised_on"] == dt.date(2026, 3, 2)
    # An account with a credit code is named by it.
    assert rows[1]["account"] == "91440101MA5CR7E9XA"
    # rep_d sees neither record (both accounts are rep_a's).
    assert list(registry.get("complaint").export_rows(org.rep_d)) == []


COMPLAINT_HEADERS = ["客户", "摘要", "严重程度", "状态", "提出日期", "处理人", "外部编号"]


def test_complaint_row_errors_do_not_stop_good_rows(org, book):
    rows = [
        ["上海甲乙机械有限公司", "安装延误", "重大", "处理中", "2026年11月3日", "rep_a", "C-1"],
        ["上海甲乙机械有限公司", "配件缺失", "一般", "未完成", "2026-13-45", "", "C-2"],
        ["不存在的公司", "质量问题", "一般", "未完成", "2026/11/3", "", "C-3"],
        ["苏州丙丁电子有限公司", "服务态度", "致命", "未完成", "2026/11/3", "", "C-4"],
        ["苏州丙丁电子有限公司", "培训不足", "minor", "open", "2026/11/3", "nobody", "C-5"],
        ["苏州丙丁电子有限公司", "上门超时", "Minor", "Open", 46329, "", "C-6"],
    ]
    job = run_import(org.admin, "complaint", COMPLAINT_HEADERS, rows)

    assert statuses(job) == ["create", "error", "error", "error", "error", "create"]
    assert errors_of(job, 3)[0][0] == "raised_on"
    assert "2026-13-45" in errors_of(job, 3)[0][1]
    assert errors_of(job, 4)[0][0] == "account" and "不存在的公司" in errors_of(job, 4)[0][1]
    assert errors_of(job, 5)[0][0] == "severity" and "致命" in errors_of(job, 5)[0][1]
    assert errors_of(job, 6)[0][0] == "owner" and "nobody" in errors_of(job, 6)[0][1]
    assert job.rows.get(row_no=3).errors[0]["label"] == "提出日期"
    first = Complaint.objects.get(external_id="C-1")
    assert (first.raised_on, first.severity, first.status) == (
        dt.date(2026, 11, 3),
        "major",
        "in_progress",
    )
    assert first.source == "import"
    assert Complaint.objects.get(external_id="C-6").raised_on == dt.date(2026, 11, 3)
    assert Complaint.objects.count() == 2


def test_reimport_is_unchanged_and_a_changed_row_updates(org, book):
    rows = [
        ["上海甲乙机械有限公司", "安装延误", "重大", "处理中", "2026年11月3日", "", "C-1"],
        ["苏州丙丁电子有限公司", "培训不足", "一般", "未完成", "2026/11/3", "", ""],
    ]
    run_import(org.admin, "complaint", COMPLAINT_HEADERS, rows)
    history = Complaint.history.count()

    again = run_import(org.admin, "complaint", COMPLAINT_HEADERS, rows)
    assert statuses(again) == ["unchanged", "unchanged"]
    assert Complaint.objects.count() == 2
    assert Complaint.history.count() == history

    rows[0][3] = "已解决"
    changed = run_import(org.admin, "complaint", COMPLAINT_HEADERS, rows[:1])
    assert statuses(changed) == ["update"]
    complaint = Complaint.objects.get(external_id="C-1")
    assert complaint.status == "resolved"
    assert complaint.resolved_on is not None
    assert Complaint.objects.count() == 2


def test_exported_file_edited_updates_by_natural_key(org, book):
    build_records("ticket", book)
    importer = registry.get("ticket")
    exported = list(importer.export_rows(org.admin))
    exported[1]["priority"] = "urgent"

    job = run_import(org.admin, "ticket", headers("ticket"), as_rows("ticket", exported))

    assert statuses(job) == ["unchanged", "update"]
    assert ServiceTicket.objects.count() == 2
    assert ServiceTicket.objects.get(subject="账号无法登录").priority == "urgent"


def test_two_records_matching_a_row_is_a_duplicate(org, book):
    first = make_complaint(book["east"], summary="重复投诉", raised_on=dt.date(2026, 3, 2))
    second = make_complaint(book["east"], summary="重复投诉", raised_on=dt.date(2026, 3, 2))
    rows = [["上海甲乙机械有限公司", "重复投诉", "一般", "未完成", "2026-03-02", "", ""]]

    job = run_import(org.admin, "complaint", COMPLAINT_HEADERS, rows)

    row = job.rows.get()
    assert row.status == "duplicate"
    assert f"#{first.pk}" in row.message and f"#{second.pk}" in row.message
    assert Complaint.objects.count() == 2


def test_rep_imports_for_own_accounts_only(org, book):
    rows = [
        ["上海甲乙机械有限公司", "安装延误", "重大", "处理中", "2026-11-03", "", "C-1"],
        ["广州庚辛贸易有限公司", "安装延误", "重大", "处理中", "2026-11-03", "", "C-2"],
    ]
    job = run_import(org.rep_a, "complaint", COMPLAINT_HEADERS, rows)

    assert statuses(job) == ["create", "error"]
    # rep_a does not even see rep_d's account.
    assert errors_of(job, 3)[0][0] == "account"
    assert not Complaint.objects.filter(external_id="C-2").exists()


def test_manager_cannot_change_another_teams_record(org, book):
    make_nps(book["east"], score=9, external_id="SV-1")
    rows = [["上海甲乙机械有限公司", "", 3, "2026-03-02", "", "SV-1"]]
    nps_headers = ["客户", "联系人", "评分", "回复日期", "调查", "外部编号"]

    job = run_import(org.manager_south, "nps", nps_headers, rows)

    assert statuses(job) == ["error"]
    assert errors_of(job, 2)[0][0] == "account"
    assert NpsResponse.objects.get(external_id="SV-1").score == 9

    ok = run_import(org.manager_east, "nps", nps_headers, rows)
    assert statuses(ok) == ["update"]
    assert NpsResponse.objects.get(external_id="SV-1").score == 3


def test_visible_but_not_editable_record_by_external_id_is_refused(org, book):
    # rep_a's row names rep_a's own account, but its external id is a ticket of rep_d's:
    # refused on the external id, without telling rep_a whose record it is.
    make_ticket(book["south"], subject="南区工单", external_id="SD-9")
    rows = [["上海甲乙机械有限公司", "改名", "2026-03-02 10:00", "SD-9"]]
    job = run_import(org.rep_a, "ticket", ["客户", "主题", "创建时间", "外部编号"], rows)

    assert statuses(job) == ["error"]
    assert errors_of(job, 2)[0][0] == "external_id"
    assert "广州" not in errors_of(job, 2)[0][1]
    assert ServiceTicket.objects.get(external_id="SD-9").subject == "南区工单"


def test_finance_may_not_import():
    from salesops.org.tests.factories import UserFactory

    finance = UserFactory(role="finance")
    with pytest.raises(PermissionDenied):
        run_import(finance, "renewal", ["客户", "到期日"], [["甲", "2026-01-01"]])


def test_nps_bad_score_and_english_headers(org, book):
    rows = [
        ["Shanghai? no", "", 8, "2026/5/6", "", ""],
        ["上海甲乙机械有限公司", "王经理", 11, "2026年5月6日", "2026Q2", ""],
        ["上海甲乙机械有限公司", "王经理", 7, "2026年5月6日", "2026Q2", "SV-2"],
        ["苏州丙丁电子有限公司", "李总", 9, "2026/5/6", "", ""],
    ]
    job = run_import(
        org.admin,
        "nps",
        ["Account", "Contact", "Score", "Responded on", "Survey", "External id"],
        rows,
    )

    assert statuses(job) == ["error", "error", "create", "error"]
    assert errors_of(job, 3) == [("score", "Enter a whole number from 0 to 10.")]
    assert errors_of(job, 5)[0][0] == "contact" and "李总" in errors_of(job, 5)[0][1]
    answer = NpsResponse.objects.get()
    assert (answer.score, answer.category, answer.contact) == (7, "passive", book["contact"])
    assert answer.responded_on == dt.date(2026, 5, 6)


def test_ticket_times_bad_priority_and_order_of_instants(org, book):
    rows = [
        ["上海甲乙机械有限公司", "无法开机", "紧急", "2026/3/2 9:30", "2026年3月2日 10:05", ""],
        ["上海甲乙机械有限公司", "噪音大", "最高", "2026-03-02 09:30", "", ""],
        ["上海甲乙机械有限公司", "漏油", "高", "2026-03-02 09:30", "2026-03-01 09:00", ""],
    ]
    ticket_headers = ["客户", "主题", "优先级", "创建时间", "首次响应时间", "解决时间"]
    job = run_import(org.admin, "ticket", ticket_headers, rows)

    assert statuses(job) == ["create", "error", "error"]
    assert errors_of(job, 3)[0][0] == "priority"
    assert errors_of(job, 4)[0][0] == "first_response_at"
    ticket = ServiceTicket.objects.get()
    assert ticket.priority == "urgent"
    assert ticket.opened_at == at("2026-03-02", "09:30")
    assert ticket.response_hours == Decimal("0.58")


def test_renewal_takes_the_contracts_account_and_refuses_a_mismatch(org, book):
    contract = make_contract(book["east"], number="HT-2026-9001")
    rows = [
        ["", "HT-2026-9001", "2027-03-31", "待处理", "4.8万", "", ""],
        ["苏州丙丁电子有限公司", "HT-2026-9001", "2027/3/31", "待处理", "48000", "", ""],
        ["", "", "2027/3/31", "待处理", "48000", "", ""],
        ["苏州丙丁电子有限公司", "", "2027年3月31日", "已流失", "", "", ""],
    ]
    renewal_headers = [
        "客户",
        "合同编号",
        "到期日",
        "状态",
        "金额（人民币）",
        "关闭日期",
        "流失原因",
    ]
    job = run_import(org.admin, "renewal", renewal_headers, rows)

    assert statuses(job) == ["create", "error", "error", "error"]
    assert errors_of(job, 3)[0][0] == "contract_number"
    assert contract.account.name in errors_of(job, 3)[0][1]
    assert errors_of(job, 4)[0][0] == "account"
    assert errors_of(job, 5)[0][0] == "lost_reason"
    renewal = Renewal.objects.get()
    assert (renewal.account, renewal.amount) == (book["east"], Decimal("48000.00"))


def test_old_xlsx_header_aliases_map(org, book):
    data = xlsx_bytes(
        ["客户名称", "投诉内容", "投诉日期", "负责人"],
        [["上海甲乙机械有限公司", "包装破损", "2026.11.3", "Rep A"]],
    )
    job = run_import(org.admin, "complaint", [], [], data=data)
    assert statuses(job) == ["create"]
    complaint = Complaint.objects.get()
    assert (complaint.summary, complaint.owner) == ("包装破损", org.rep_a)


def test_rep_keeps_the_current_handler_but_cannot_hand_to_others(org, book):
    make_complaint(
        book["east"],
        actor=org.admin,
        owner=org.rep_b,
        summary="上门超时",
        raised_on=dt.date(2026, 3, 2),
        external_id="C-7",
    )
    rows = [
        ["上海甲乙机械有限公司", "上门超时", "一般", "处理中", "2026-03-02", "rep_b", "C-7"],
        ["上海甲乙机械有限公司", "新投诉", "一般", "未完成", "2026-03-02", "rep_b", "C-8"],
        ["上海甲乙机械有限公司", "转客户成功", "一般", "未完成", "2026-03-02", "cs", "C-9"],
    ]
    job = run_import(org.rep_a, "complaint", COMPLAINT_HEADERS, rows)

    assert statuses(job) == ["update", "error", "create"]
    assert errors_of(job, 3)[0][0] == "owner" and "Rep B" in errors_of(job, 3)[0][1]
    kept = Complaint.objects.get(external_id="C-7")
    assert (kept.owner, kept.status) == (org.rep_b, "in_progress")
    assert Complaint.objects.get(external_id="C-9").owner == org.cs


def test_gb18030_csv_of_renewals(org, book):
    data = csv_bytes(
        ["客户", "合同编号", "到期日", "状态", "金额（人民币）", "外部编号"],
        [["上海甲乙机械有限公司", "HT-旧-07", "2027年1月31日", "已续约", "¥12,800.00", "R-1"]],
        encoding="gb18030",
    )
    job = run_import(org.admin, "renewal", [], [], filename="renewals.csv", data=data)

    assert statuses(job) == ["create"]
    renewal = Renewal.objects.get(external_id="R-1")
    assert (renewal.contract_number, renewal.due_on, renewal.status, renewal.amount) == (
        "HT-旧-07",
        dt.date(2027, 1, 31),
        "renewed",
        Decimal("12800.00"),
    )
