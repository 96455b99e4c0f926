"""Importing deals: created in their stage through deal_create, updated by name and
account, moved through the stage-change service, one bad row reported alone, re-import
idempotent, visibility."""

import datetime as dt
from decimal import Decimal

import pytest

from salesops.customers.tests.factories import AccountFactory, ContactFactory
from salesops.exchange import registry
from salesops.exchange.tests.helpers import run_import
from salesops.exchange.tests.test_import_activities import cells_of
from salesops.pipeline.models import Deal, DealStatus, Pipeline, Stage, StageChange
from salesops.pipeline.tests.factories import default_pipeline, make_deal

pytestmark = pytest.mark.django_db

ZH = [
    "商机名称",
    "客户",
    "负责人",
    "阶段",
    "金额（人民币）",
    "预计成交日期",
    "决策链",
    "需求已确认",
]
EN = [
    "deal name",
    "account",
    "owner",
    "pipeline",
    "stage",
    "product line",
    "amount (CNY)",
    "expected close date",
    "forecast category",
    "need confirmed",
    "budget confirmed",
    "decision maker identified",
    "decision chain",
    "lost reason",
    "lost note",
]
KEYS = [
    "name",
    "account",
    "owner",
    "pipeline",
    "stage",
    "product_line",
    "amount",
    "expected_close_date",
    "commit_category",
    "need_confirmed",
    "budget_confirmed",
    "decision_maker_identified",
    "contacts",
    "lost_reason",
    "lost_note",
]


@pytest.fixture(autouse=True)
def pipeline(db):
    return default_pipeline()


def statuses(job):
    return list(job.rows.order_by("row_no").values_list("status", flat=True))


def test_zh_headers_create_in_stage_and_name_the_bad_row_and_field(org):
    account = AccountFactory(owner=org.rep_a, name="上海云帆机械有限公司")
    ContactFactory(account=account, name="王经理")
    ContactFactory(account=account, name="赵总")
    rows = [
        [
            "云帆 MES 一期",
            account.name,
            "rep_a",
            "方案提交",
            "¥120,000",
            "2026年12月31日",
            "王经理、赵总",
            "是",
        ],
        ["云帆 备件", account.name, "rep_a", "", "1.5万", "2027/1/15", "", ""],
        ["云帆 二期", account.name, "rep_a", "contact", "8000", "2026年2月30日", "", ""],
        ["云帆 三期", account.name, "rep_a", "不存在阶段", "8000", "", "", ""],
        ["云帆 四期", account.name, "rep_a", "contact", "8000", "", "孙某", ""],
    ]
    job = run_import(org.admin, "deal", ZH, rows)

    assert statuses(job) == ["create", "create", "error", "error", "error"]
    errors = {r.row_no: r.errors[0] for r in job.rows.filter(status="error")}
    assert errors[4]["field"] == "expected_close_date" and "2026年2月30日" in errors[4]["message"]
    assert errors[5]["field"] == "stage" and "不存在阶段" in errors[5]["message"]
    assert errors[6]["field"] == "contacts" and "孙某" in errors[6]["message"]
    mes = Deal.objects.get(name="云帆 MES 一期")
    assert mes.stage.code == "proposal" and mes.owner == org.rep_a
    assert mes.amount == Decimal("120000.00")
    assert mes.expected_close_date == dt.date(2026, 12, 31)
    assert sorted(c.name for c in mes.contacts.all()) == ["王经理", "赵总"]
    assert mes.need_confirmed is True
    assert mes.history.first().history_change_reason.endswith(f"import #{job.pk}")
    spare = Deal.objects.get(name="云帆 备件")
    assert spare.stage.code == "contact" and spare.amount == Decimal("15000.00")
    assert spare.expected_close_date == dt.date(2027, 1, 15)
    assert Deal.objects.count() == 2


def test_english_headers_round_trip(org):
    account = AccountFactory(owner=org.rep_b, name="杭州鑫昌电子有限公司")
    contact = ContactFactory(account=account, name="李工")
    make_deal(
        owner=org.rep_b,
        account=account,
        name="鑫昌 CRM",
        stage_code="demo",
        contacts=[contact],
        amount=Decimal("56000.50"),
        expected_close_date=dt.date(2026, 12, 1),
        budget_confirmed=True,
    )
    make_deal(owner=org.rep_b, account=account, name="鑫昌 培训", commit_category="best_case")
    importer = registry.get("deal")
    before = list(importer.export_rows(org.admin))
    assert [r["stage"] for r in before] == ["demo", "contact"]
    Deal.objects.all().delete()

    job = run_import(org.admin, "deal", EN, cells_of(before, KEYS))

    assert statuses(job) == ["create", "create"]
    assert list(importer.export_rows(org.admin)) == before


def test_reimport_unchanged_and_changed_row_updates(org):
    account = AccountFactory(owner=org.rep_a, name="苏州丙丁电子有限公司")
    rows = [
        ["丙丁 ERP", account.name, "rep_a", "contact", "50000", "2026年11月30日", "", ""],
        ["丙丁 MES", account.name, "rep_a", "contact", "70000", "", "", ""],
    ]
    run_import(org.admin, "deal", ZH, rows)
    assert Deal.objects.count() == 2

    again = run_import(org.admin, "deal", ZH, rows)
    assert statuses(again) == ["unchanged", "unchanged"]
    assert Deal.objects.count() == 2

    rows[0][4] = "65000"
    changed = run_import(org.admin, "deal", ZH, rows)
    assert statuses(changed) == ["update", "unchanged"]
    erp = Deal.objects.get(name="丙丁 ERP")
    assert erp.amount == Decimal("65000.00") and Deal.objects.count() == 2


def test_stage_moves_go_through_the_stage_change_service(org):
    account = AccountFactory(owner=org.rep_a, name="南京庚辛贸易有限公司")
    deal = make_deal(owner=org.rep_a, account=account, name="庚辛 MES", stage_code="proposal")
    headers = ["商机名称", "客户", "阶段", "丢单原因", "丢单说明"]
    rows = [
        ["庚辛 MES", account.name, "签约", "", ""],
        ["庚辛 新项目", account.name, "won", "", ""],
        ["庚辛 旧项目", account.name, "lost", "价格", "客户预算砍了"],
    ]
    job = run_import(org.rep_a, "deal", headers, rows)

    assert statuses(job) == ["error", "error", "create"]
    forward = job.rows.get(row_no=2).errors
    assert {e["field"] for e in forward} == {"stage"}
    deal.refresh_from_db()
    assert deal.stage.code == "proposal"
    assert not Deal.objects.filter(name="庚辛 新项目").exists()
    lost = Deal.objects.get(name="庚辛 旧项目")
    assert lost.status == DealStatus.LOST and lost.lost_reason == "price"
    assert lost.lost_note == "客户预算砍了"
    assert StageChange.objects.filter(deal=lost, to_stage__code="lost").exists()

    back = run_import(org.rep_a, "deal", headers[:3], [["庚辛 MES", account.name, "初步接触"]])
    assert statuses(back) == ["update"]
    deal.refresh_from_db()
    assert deal.stage.code == "contact"
    assert f"import #{back.pk}" in deal.stage_changes.order_by("-pk").first().reason


def test_other_teams_deals_are_errors_for_managers_and_reps(org):
    south = AccountFactory(owner=org.rep_d, name="广州壬癸科技有限公司")
    east = AccountFactory(owner=org.rep_a, name="上海甲乙机械有限公司")
    make_deal(owner=org.rep_a, account=east, name="甲乙 ERP", amount=Decimal("1000"))
    rows = [
        ["壬癸 ERP", south.name, "", "contact", "9000", "", "", ""],
        ["甲乙 ERP", east.name, "", "contact", "2000", "", "", ""],
        ["甲乙 新项目", east.name, "rep_d", "contact", "2000", "", "", ""],
    ]
    by_manager = run_import(org.manager_south, "deal", ZH, rows)
    assert statuses(by_manager) == ["create", "error", "error"]
    assert by_manager.rows.get(row_no=3).errors[0]["field"] == "account"
    assert Deal.objects.get(name="壬癸 ERP").owner == org.manager_south
    assert Deal.objects.get(name="甲乙 ERP").amount == Decimal("1000.00")


def test_a_rep_changes_only_their_own_deals(org):
    mine = AccountFactory(owner=org.rep_b, name="杭州乙方软件有限公司")
    make_deal(owner=org.rep_a, account=mine, name="乙方 CRM", actor=org.admin)
    rows = [
        ["乙方 CRM", mine.name, "", "contact", "2000", "", "", ""],
        ["乙方 新项目", mine.name, "rep_d", "contact", "2000", "", "", ""],
        ["乙方 自己的", mine.name, "", "contact", "3000", "", "", ""],
    ]
    job = run_import(org.rep_b, "deal", ZH, rows)
    assert statuses(job) == ["error", "error", "create"]
    assert job.rows.get(row_no=2).errors[0]["field"] == "name"
    assert job.rows.get(row_no=3).errors[0]["field"] == "owner"
    assert Deal.objects.get(name="乙方 CRM").amount == Decimal("100000.00")
    assert Deal.objects.get(name="乙方 自己的").owner == org.rep_b
    assert not registry.get("deal").can_import(org.finance)


def test_won_when_the_criteria_are_met_and_an_approval_waits(org, pipeline):
    # A pipeline whose stages ask for nothing a spreadsheet cannot give.
    pipeline.stages.update(
        required_fields=[], required_evidence=[], required_activities=[], needs_approval=False
    )
    account = AccountFactory(owner=org.rep_a, name="合肥甲丙电子有限公司")
    deal = make_deal(owner=org.rep_a, account=account, name="甲丙 MES", stage_code="proposal")
    headers = ["商机名称", "客户", "阶段"]
    won_name = pipeline.stages.get(code="won").name_zh
    job = run_import(org.rep_a, "deal", headers, [["甲丙 ERP", account.name, won_name]])

    assert statuses(job) == ["create"]
    won = Deal.objects.get(name="甲丙 ERP")
    assert won.status == DealStatus.WON and won.stage.code == "won"

    pipeline.stages.filter(code="proposal").update(needs_approval=True)
    moved = run_import(org.rep_a, "deal", headers, [["甲丙 MES", account.name, "演示完成"]])

    assert statuses(moved) == ["update"]
    assert "approval" in moved.rows.get().message
    deal.refresh_from_db()
    assert deal.stage.code == "proposal"
    assert deal.stage_changes.filter(state="pending", to_stage__code="demo").exists()


def test_custom_fields_import_by_their_label_and_export_again(org):
    from salesops.customization.tests.factories import make_definition

    make_definition(
        org.admin,
        entity="deal",
        key="funding",
        type="text",
        label_zh="资金来源",
        label_en="Funding",
    )
    account = AccountFactory(owner=org.rep_a, name="武汉丁戊仪器有限公司")
    headers = ["商机名称", "客户", "资金来源", "负责人"]
    rows = [
        ["丁戊 LIMS", account.name, "财政拨款", ""],
        ["丁戊 LIMS", account.name, "财政拨款", "rep_a"],
    ]
    # An admin owns no deals: as in the API, the owner defaults to whoever creates it.
    refused = run_import(org.admin, "deal", headers, rows[:1])
    assert refused.rows.get().errors[0]["field"] == "owner"

    job = run_import(org.admin, "deal", headers, rows[1:])

    assert statuses(job) == ["create"]
    deal = Deal.objects.get(name="丁戊 LIMS")
    assert deal.custom["funding"] == "财政拨款"
    exported = list(registry.get("deal").export_rows(org.admin))
    assert exported[0]["custom.funding"] == "财政拨款"


def test_stage_names_are_read_in_the_deals_own_pipeline(org):
    saas = Pipeline.objects.create(code="saas", name_zh="订阅流程", name_en="SaaS", order=9)
    for order, (code, zh, kind) in enumerate(
        (("trial", "试用", "open"), ("quote", "报价", "open"), ("won", "赢单", "won")), start=1
    ):
        Stage.objects.create(
            pipeline=saas, code=code, name_zh=zh, name_en=code, kind=kind, order=order
        )
    account = AccountFactory(owner=org.rep_a, name="成都己庚软件有限公司")
    deal = make_deal(owner=org.rep_a, account=account, name="己庚 订阅", pipeline=saas)
    deal = make_deal(owner=org.rep_a, account=account, name="己庚 订阅2", pipeline=saas)
    Deal.objects.filter(pk=deal.pk).update(stage=saas.stages.get(code="quote"))
    headers = ["商机名称", "客户", "阶段", "销售流程"]
    rows = [
        ["己庚 订阅2", account.name, "试用", ""],
        ["己庚 订阅", account.name, "报价", "standard"],
    ]
    job = run_import(org.rep_a, "deal", headers, rows)

    assert statuses(job) == ["update", "error"]
    deal.refresh_from_db()
    assert deal.stage.code == "trial"
    assert job.rows.get(row_no=3).errors[0]["field"] == "pipeline"
    assert Deal.objects.get(name="己庚 订阅").stage.code == "trial"
