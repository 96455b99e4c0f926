"""The lead importer: the intake's rules per row (dedup, routing, SLA), in batches."""

import pytest

from salesops.customers.tests.factories import AccountFactory
from salesops.customization.tests.factories import make_definition
from salesops.exchange import registry
from salesops.exchange.models import ImportKey
from salesops.exchange.tests.helpers import run_import
from salesops.leads.models import Assignment, ChannelKind, Inquiry, Lead
from salesops.leads.tests.factories import intake, make_rule
from salesops.org.tests.factories import build_org

pytestmark = pytest.mark.django_db

HEADERS = ["external_id", "公司", "联系人姓名", "电话", "省份", "城市", "需求", "负责人"]


def row(n, company=None, phone=None, owner="", province="上海市", city="上海市", ext=""):
    return [
        ext,
        company or f"上海{'甲乙丙丁戊己庚辛'[n % 8]}{'机电光华新材信达'[n // 8 % 8]}科技有限公司",
        f"王{n}",
        phone or f"1380013{n:04d}",
        province,
        city,
        "想了解报价",
        owner,
    ]


@pytest.fixture
def org():
    return build_org()


def statuses(job):
    return [(r.row_no, r.status) for r in job.rows.order_by("row_no")]


def test_routing_message_dry_run_writes_nothing_and_commit_writes_audited(org):
    rule = make_rule(name="华东制造", members=[{"user_id": org.rep_a.pk}], condition="")
    job = run_import(org.admin, "lead", HEADERS, [row(1), row(2)], commit=False)
    assert statuses(job) == [(2, "create"), (3, "create")]
    first = job.rows.get(row_no=2)
    assert first.message == f"→ {org.rep_a.label} (rule “{rule.name}”)"
    assert Lead.objects.count() == 0

    job = run_import(org.admin, "lead", HEADERS, [row(1), row(2)])
    assert statuses(job) == [(2, "create"), (3, "create")]
    lead = Lead.objects.get(pk=job.rows.get(row_no=2).object_id)
    assert lead.owner == org.rep_a and lead.channel.kind == ChannelKind.IMPORT
    assert lead.assigned_at is not None
    history = lead.history.get()
    assert history.history_change_reason == f"intake · import #{job.pk}"
    assert history.history_user == org.admin
    assignment = Assignment.objects.get(lead=lead)
    assert (assignment.rule_id, assignment.owner) == (rule.pk, org.rep_a)
    inquiry = Inquiry.objects.get(lead=lead)
    assert inquiry.payload["import"] == job.pk and inquiry.payload["company"] == lead.company


def test_duplicates_of_stored_leads_and_within_file(org):
    existing = intake(phone="13900000001", company="杭州博远精密机械有限公司").lead
    account = AccountFactory(name="苏州澄江电子有限公司", credit_code="")
    rows = [
        row(1, phone="+86 139 0000 0001"),  # the stored lead's phone
        row(2, phone="13800000002"),
        row(3, phone="13800000002", company="深圳海川物流有限公司"),  # row 3's phone again
        row(4, company="苏州澄江电子有限公司"),  # the account's name: a lead of that customer
    ]
    for dry_run in (True, False):
        job = run_import(org.admin, "lead", HEADERS, rows, commit=not dry_run)
        got = statuses(job)
        assert got == [(2, "duplicate"), (3, "create"), (4, "duplicate"), (5, "create")]
        assert f"#{existing.pk}" in job.rows.get(row_no=2).message
        assert "same phone" in job.rows.get(row_no=2).message
        assert "earlier row" in job.rows.get(row_no=4).message
        assert account.name in job.rows.get(row_no=5).message
    assert Lead.objects.filter(account=account).count() == 1
    existing.refresh_from_db()
    assert existing.touches == 1  # a duplicate row is reported, not attached
    assert Lead.objects.count() == 3


def test_row_error_does_not_stop_good_rows_and_names_the_field(org):
    rows = [row(1), row(2, phone="12345"), row(3, owner="nobody"), row(4)]
    job = run_import(org.admin, "lead", HEADERS, rows)
    assert statuses(job) == [(2, "create"), (3, "error"), (4, "error"), (5, "create")]
    assert job.rows.get(row_no=3).errors[0]["field"] == "phone"
    owner_error = job.rows.get(row_no=4).errors[0]
    assert owner_error["field"] == "owner" and "nobody" in owner_error["message"]
    assert Lead.objects.count() == 2


def test_reimport_is_idempotent_and_external_id_updates(org):
    rows = [row(1, ext="A-1"), row(2, ext="A-2")]
    run_import(org.admin, "lead", HEADERS, rows)
    leads, inquiries = Lead.objects.count(), Inquiry.objects.count()
    again = run_import(org.admin, "lead", HEADERS, rows)
    assert [s for _n, s in statuses(again)] == ["unchanged", "unchanged"]
    assert (Lead.objects.count(), Inquiry.objects.count()) == (leads, inquiries)

    changed = [row(1, ext="A-1", city="上海市"), row(2, ext="A-2")]
    changed[0][6] = "改为要演示"
    job = run_import(org.admin, "lead", HEADERS, changed)
    assert [s for _n, s in statuses(job)] == ["update", "unchanged"]
    lead = Lead.objects.get(pk=job.rows.get(row_no=2).object_id)
    assert lead.need == "改为要演示"
    assert Lead.objects.count() == leads


def test_custom_field_imported(org):
    make_definition(org.admin, entity="lead", key="budget", type="money", label_zh="预算")
    job = run_import(org.admin, "lead", [*HEADERS, "预算"], [[*row(1), "1.5万"]])
    assert statuses(job) == [(2, "create")]
    lead = Lead.objects.get()
    assert str(lead.custom["budget"]) in ("15000.00", "15000")


def test_owner_column_keeps_lead_and_manager_cannot_assign_other_team(org):
    make_rule(name="全部", team=org.company, condition="")
    job = run_import(org.admin, "lead", HEADERS, [row(1, owner="rep_d")])
    lead = Lead.objects.get(pk=job.rows.get(row_no=2).object_id)
    assert lead.owner == org.rep_d
    assert Assignment.objects.get(lead=lead).strategy == ""

    job = run_import(org.manager_east, "lead", HEADERS, [row(2, owner="rep_d"), row(3)])
    assert statuses(job) == [(2, "error"), (3, "create")]
    assert job.rows.get(row_no=2).errors[0]["field"] == "owner"
    routed = Lead.objects.get(pk=job.rows.get(row_no=3).object_id)
    # Routing stays within the manager's team: never rep_d of South.
    assert routed.owner in (org.rep_a, org.rep_b, org.rep_c, None)
    assert routed.owner != org.rep_d
    assert not registry.get("lead").can_import(org.rep_a)


def test_bulk_path_same_rows_as_lead_intake(org):
    """The same inquiries through ``lead_intake`` one by one and through the importer:
    the same leads, inquiries, assignments and history rows, field by field."""
    from salesops.leads import services
    from salesops.leads.receive import manual_channel  # noqa: F401 (channels exist)

    make_rule(name="东区", members=[{"user_id": org.rep_a.pk}, {"user_id": org.rep_b.pk}])
    account = AccountFactory(name="南京瑞丰化工有限公司", credit_code="", owner=org.rep_c)
    rows = [row(n) for n in range(1, 6)] + [row(6, company="南京瑞丰化工有限公司")]
    job = run_import(org.admin, "lead", HEADERS, rows)
    imported = list(Lead.objects.order_by("pk"))
    channel = imported[0].channel

    def snapshot(leads):
        out = []
        for lead in leads:
            fields = {
                f.attname: getattr(lead, f.attname)
                for f in Lead._meta.concrete_fields
                if f.attname
                not in (
                    "id",
                    "created_at",
                    "updated_at",
                    "progressed_at",
                    "assigned_at",
                    "sla_due_at",
                )
            }
            inquiry = Inquiry.objects.get(lead=lead)
            assignment = Assignment.objects.get(lead=lead)
            history = lead.history.get()
            out.append(
                (
                    fields,
                    (
                        inquiry.channel_id,
                        inquiry.campaign,
                        inquiry.matched_by,
                        inquiry.match_entity,
                    ),
                    (inquiry.match_id, inquiry.score, inquiry.created_by_id),
                    (assignment.owner_id, assignment.rule_id, assignment.rule_name),
                    (assignment.strategy, assignment.reason, assignment.actor_id),
                    (history.history_type, history.history_user_id, history.owner_id),
                )
            )
        return out

    bulk_rows = snapshot(imported)
    assert imported[-1].account == account and imported[-1].owner == org.rep_c
    # Undo: same starting point (counts, cursors) for the intake.
    Lead.objects.all().delete()
    ImportKey.objects.all().delete()
    from salesops.leads.models import DailyLeadCount, RoutingRule

    DailyLeadCount.objects.all().delete()
    RoutingRule.objects.update(cursor=0)
    from salesops.leads import routing

    routing.invalidate()
    for cells in rows:
        data = {"company": cells[1], "contact_name": cells[2], "phone": cells[3]}
        data.update(province=cells[4], city=cells[5], need=cells[6])
        services.lead_intake(channel=channel, data=data, actor=org.admin)
    assert snapshot(Lead.objects.order_by("pk")) == bulk_rows
    assert job.counts["create"] == 6


def test_round_trip_export_import_export(org):
    make_rule(name="东区", members=[{"user_id": org.rep_a.pk}])
    rows = [row(1, ext="X1"), row(2, owner="rep_d"), row(3, ext="X3", owner="rep_b")]
    run_import(org.admin, "lead", HEADERS, rows)
    importer = registry.get("lead")
    first = list(importer.export_rows(org.admin))
    assert [r["owner"] for r in first] == ["rep_a", "rep_d", "rep_b"]
    assert [r["external_id"] for r in first] == ["X1", None, "X3"]
    Lead.objects.all().delete()
    ImportKey.objects.all().delete()
    keys = list(first[0])
    run_import(org.admin, "lead", keys, [[r[k] for k in keys] for r in first])
    assert list(importer.export_rows(org.admin)) == first


def test_uncertain_name_within_one_batch_flagged_for_review(org):
    """A similar (not certain) company name of an earlier row of the same batch: a lead
    flagged for review pointing to that row's lead, written in the same batch."""
    rows = [
        row(1, company="杭州博远精密机械有限公司"),
        row(2, company="杭州博远精密机械制造有限公司"),  # score 86: review, not duplicate
    ]
    job = run_import(org.admin, "lead", HEADERS, rows)
    assert statuses(job) == [(2, "create"), (3, "create")]
    assert "flagged for review" in job.rows.get(row_no=3).message
    first = Lead.objects.get(pk=job.rows.get(row_no=2).object_id)
    second = Lead.objects.get(pk=job.rows.get(row_no=3).object_id)
    assert second.review_state == "review" and second.possible_duplicate_of == first
    inquiry = Inquiry.objects.get(lead=second)
    assert (inquiry.matched_by, inquiry.match_id, inquiry.score) == ("company", first.pk, 86)


def _import(org, start, count, *, dry_run, limit, assert_max):
    """A dry run or a commit of ``count`` new leads, under ``limit`` statements."""
    from salesops.exchange import engine, jobs
    from salesops.exchange.tests.helpers import xlsx_bytes

    rows = [
        row(n, company=f"{n:04d}号{'甲乙丙丁'[n % 4]}公司", province="浙江省", city="杭州市")
        for n in range(start, start + count)
    ]
    data = xlsx_bytes(HEADERS, rows)
    job = jobs.start_job(actor=org.admin, entity="lead", filename="q.xlsx", data=data)
    if not dry_run:
        engine.finish(job, engine.run(job, dry_run=True), dry_run=True)
    with assert_max(limit):
        counts = engine.run(job, dry_run=dry_run)
    assert counts["create"] == count, counts


@pytest.mark.usefixtures("config_cache_on")
def test_statements_per_chunk_not_per_row(org, django_assert_max_num_queries):
    """The batch path: a chunk of rows (here 300, routed by two rules) costs a fixed
    number of statements — reads of candidates and counts, one insert per table, the
    report — never one per row (about 30 for a dry run, 35 for a commit, measured)."""
    make_rule(name="浙江", members=[{"user_id": org.rep_a.pk}], condition="province == '浙江省'")
    make_rule(name="兜底", members=[{"user_id": org.rep_b.pk}], condition="")
    _import(org, 0, 300, dry_run=True, limit=40, assert_max=django_assert_max_num_queries)
    _import(org, 1000, 300, dry_run=False, limit=50, assert_max=django_assert_max_num_queries)
    assert Lead.objects.count() == 300
