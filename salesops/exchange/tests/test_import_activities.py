"""Importing activities: written through activity_log / check_in, one bad row reported
alone, re-import idempotent, an open activity finished by a later file, visibility."""

import datetime as dt

import pytest
from django.utils import timezone

from salesops.activities.models import Activity
from salesops.activities.tests.factories import ActivityFactory, ResultTagFactory
from salesops.customers.tests.factories import AccountFactory, ContactFactory
from salesops.exchange import registry
from salesops.exchange.tests.helpers import run_import

pytestmark = pytest.mark.django_db

ZH = ["类型", "开始时间", "负责人", "客户", "联系人", "时长（秒）", "跟进结果", "备注"]
EN = ["type", "started at", "owner", "account", "contact", "duration (seconds)", "result", "note"]
KEYS = ["kind", "started_at", "owner", "account", "contact", "duration_seconds", "tag", "note"]


def cells_of(rows: list[dict], keys: list[str]) -> list[list]:
    """Exported rows as spreadsheet cells (what the export file holds): wall-clock times
    without a zone, yes/no as 是/否, empty as blank."""
    out = []
    for row in rows:
        line = []
        for key in keys:
            value = row.get(key)
            if isinstance(value, dt.datetime):
                value = value.replace(tzinfo=None)
            elif isinstance(value, bool):
                value = "是" if value else "否"
            line.append("" if value is None else value)
        out.append(line)
    return out


def at(*args) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args), timezone.get_default_timezone())


@pytest.fixture
def tags():
    return (
        ResultTagFactory(code="imp_reached", label_zh="已沟通需求", label_en="Needs discussed"),
        ResultTagFactory(
            code="imp_noanswer",
            label_zh="无人接听x",
            label_en="No answer x",
            counts_as_contact=False,
        ),
    )


def statuses(job):
    return list(job.rows.order_by("row_no").values_list("status", flat=True))


def test_zh_headers_write_good_rows_and_name_the_bad_row_and_field(org, tags):
    east = AccountFactory(owner=org.rep_a, name="上海云帆机械有限公司")
    contact = ContactFactory(account=east, name="王经理")
    rows = [
        [
            "电话",
            "2026年11月3日 10:00",
            "rep_a",
            east.name,
            "王经理",
            125,
            "已沟通需求",
            "聊了预算",
        ],
        ["拜访", "2026/11/3 14:30", "rep_a", east.name, "", 3600, "imp_reached", ""],
        ["电话", "2026年13月40日", "rep_a", east.name, "", 10, "imp_reached", ""],
        ["电话", "2026-11-04 09:00", "rep_a", east.name, "", 10, "打错了", ""],
        ["微信", "2026.11.5 9:15", "rep_a", "不存在的公司", "", "", "", ""],
    ]
    job = run_import(org.admin, "activity", ZH, rows)

    assert statuses(job) == ["create", "create", "error", "error", "error"]
    errors = {r.row_no: r.errors[0] for r in job.rows.filter(status="error")}
    assert errors[4]["field"] == "started_at" and "2026年13月40日" in errors[4]["message"]
    assert errors[5]["field"] == "tag" and "打错了" in errors[5]["message"]
    assert errors[6]["field"] == "account" and "不存在的公司" in errors[6]["message"]
    call = Activity.objects.get(kind="call")
    assert call.owner == org.rep_a and call.created_by == org.admin
    assert call.contact == contact and call.account == east
    assert call.started_at == at(2026, 11, 3, 10, 0)
    assert call.duration_seconds == 125 and call.effective is True
    assert call.note == "聊了预算" and call.tag.code == "imp_reached"
    visit = Activity.objects.get(kind="visit")
    assert visit.started_at == at(2026, 11, 3, 14, 30)


def test_english_headers_and_round_trip(org, tags):
    account = AccountFactory(owner=org.rep_b, name="杭州鑫昌电子有限公司")
    ContactFactory(account=account, name="李工")
    for minute, tag in ((0, tags[0]), (20, tags[1])):
        ActivityFactory(
            owner=org.rep_b,
            account=account,
            started_at=at(2026, 10, 9, 9, minute),
            duration_seconds=90,
            tag=tag,
            note="跟进",
        )
    ActivityFactory(owner=org.rep_b, account=account, kind="visit", started_at=at(2026, 10, 9, 15))
    importer = registry.get("activity")
    before = list(importer.export_rows(org.admin))
    assert len(before) == 3 and before[2]["tag"] == "" and before[2]["duration_seconds"] is None
    Activity.objects.all().delete()

    job = run_import(org.admin, "activity", EN, cells_of(before, KEYS))

    assert statuses(job) == ["create", "create", "create"]
    assert list(importer.export_rows(org.admin)) == before
    assert Activity.objects.get(kind="visit").tag is None


def test_reimport_is_unchanged_and_counts_stay(org, tags):
    account = AccountFactory(owner=org.rep_a, name="苏州丙丁电子有限公司")
    rows = [
        ["电话", "2026年11月3日 10:00", "rep_a", account.name, "", 45, "imp_reached", ""],
        ["电话", "2026/11/3 11:00", "rep_a", account.name, "", 5, "imp_noanswer", ""],
    ]
    run_import(org.admin, "activity", ZH, rows)
    assert Activity.objects.count() == 2

    again = run_import(org.admin, "activity", ZH, rows)

    assert statuses(again) == ["unchanged", "unchanged"]
    assert Activity.objects.count() == 2


def test_changed_row_finishes_the_open_activity_and_a_finished_one_is_a_duplicate(org, tags):
    account = AccountFactory(owner=org.rep_a, name="南京庚辛贸易有限公司")
    open_row = ["拜访", "2026年11月6日 10:00", "rep_a", account.name, "", "", "", ""]
    first = run_import(org.rep_a, "activity", ZH, [open_row])
    assert statuses(first) == ["create"]
    visit = Activity.objects.get()
    assert visit.tag is None

    finished = [*open_row[:5], 1800, "imp_reached", "见到了采购"]
    second = run_import(org.rep_a, "activity", ZH, [finished])

    assert statuses(second) == ["update"]
    visit.refresh_from_db()
    assert (visit.tag.code, visit.duration_seconds, visit.note) == (
        "imp_reached",
        1800,
        "见到了采购",
    )
    assert visit.effective is True
    changed = [*open_row[:5], 1800, "imp_reached", "改了备注"]
    third = run_import(org.rep_a, "activity", ZH, [changed])
    assert statuses(third) == ["duplicate"]
    assert f"#{visit.pk}" in third.rows.get().message
    visit.refresh_from_db()
    assert visit.note == "见到了采购" and Activity.objects.count() == 1


def test_rep_and_manager_cannot_import_for_another_team(org, tags):
    south = AccountFactory(owner=org.rep_d, name="广州壬癸科技有限公司")
    east = AccountFactory(owner=org.rep_a, name="上海甲乙机械有限公司")
    rows = [
        ["电话", "2026-11-03 10:00", "", south.name, "", 60, "imp_reached", ""],
        ["电话", "2026-11-03 11:00", "rep_d", east.name, "", 60, "imp_reached", ""],
        ["电话", "2026-11-03 12:00", "", east.name, "", 60, "imp_reached", ""],
    ]
    job = run_import(org.rep_a, "activity", ZH, rows)
    assert statuses(job) == ["error", "error", "create"]
    assert job.rows.get(row_no=2).errors[0]["field"] == "account"
    assert job.rows.get(row_no=3).errors[0]["field"] == "owner"
    assert Activity.objects.get().owner == org.rep_a

    by_manager = run_import(org.manager_east, "activity", ZH, rows[:2])
    assert statuses(by_manager) == ["error", "error"]
    assert Activity.objects.filter(account=south).count() == 0
    assert not registry.get("activity").can_import(org.finance)


def test_a_lead_named_by_phone_gets_its_first_contact(org, tags):
    from salesops.activities.tests.conftest import lead_for

    lead = lead_for(org.rep_a)
    headers = ["类型", "开始时间", "线索", "时长（秒）", "跟进结果"]
    rows = [
        ["电话", "2026年11月24日 10:05", lead.phone, 95, "imp_reached"],
        ["电话", "2026年11月24日 10:06", "13900000000", 95, "imp_reached"],
    ]
    checked = run_import(org.rep_a, "activity", headers, rows, commit=False)
    assert statuses(checked) == ["create", "error"]
    assert Activity.objects.count() == 0

    job = run_import(org.rep_a, "activity", headers, rows)

    assert statuses(job) == ["create", "error"]
    assert job.rows.get(row_no=3).errors[0]["field"] == "lead"
    activity = Activity.objects.get()
    assert activity.lead == lead and activity.owner == org.rep_a
    lead.refresh_from_db()
    assert lead.first_contact_at == at(2026, 11, 24, 10, 6, 35)
