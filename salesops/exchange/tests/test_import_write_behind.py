"""A large lead commit writes behind (core.writebehind): a forked child writes each chunk
while the engine decides the next. Same decisions as the dry run, same rows as without
it, idempotent re-import, and a chunk that updates earlier imports written here."""

import os

import pytest
from django.db.models import Sum

from salesops.core import events
from salesops.exchange import engine, jobs
from salesops.exchange.models import ImportKey, JobState
from salesops.exchange.tests.helpers import xlsx_bytes
from salesops.leads.models import Assignment, DailyLeadCount, Inquiry, Lead
from salesops.leads.tests.factories import intake, make_rule
from salesops.org.tests.factories import build_org

from .test_import_leads import HEADERS, row

pytestmark = pytest.mark.usefixtures("database_file")


@pytest.fixture
def small_chunks(monkeypatch):
    # Four chunks of ten rows, written behind from the second row of the file on.
    monkeypatch.setattr(engine, "CHUNK", 10)
    monkeypatch.setattr(engine, "WRITE_BEHIND_ROWS", 10)


@pytest.fixture
def writer_pids(tmp_path):
    """The process ids that dispatched ``lead.created`` (the subscriber runs in the
    child: it leaves its id in a file)."""
    path = tmp_path / "pids"
    path.write_text("")

    def handler(name, payload):
        with path.open("a") as out:
            out.write(f"{os.getpid()}\n")

    events.subscribe("lead.created", handler)
    yield path
    events.unsubscribe("lead.created", handler)


def _rows():
    rows = [row(n, ext=f"W-{n}") for n in range(1, 37)]
    rows[5] = row(6, ext="W-6", phone="13900000001")  # a stored lead's phone
    rows[24] = row(25, ext="W-25", phone=rows[3][3])  # row 4's phone again, a later chunk
    rows[30] = row(31, ext="W-31", phone="12345")  # a bad phone
    return rows


def _run(actor, rows, *, dry_run: bool, job=None):
    if job is None:
        data = xlsx_bytes(HEADERS, rows)
        job = jobs.start_job(actor=actor, entity="lead", filename="big.xlsx", data=data)
    counts = engine.run(job, dry_run=dry_run)
    engine.finish(job, counts, dry_run=dry_run)
    job.refresh_from_db()
    return job


def _slots(org) -> int:
    taken = DailyLeadCount.objects.filter(user__in=[org.rep_a, org.rep_b, org.rep_c])
    return taken.aggregate(n=Sum("count"))["n"] or 0


def _report(job):
    return [(r.row_no, r.status, r.message) for r in job.rows.order_by("row_no")]


@pytest.mark.usefixtures("small_chunks")
def test_large_commit_writes_behind_what_the_dry_run_said(writer_pids):
    org = build_org()
    members = [{"user_id": u.pk} for u in (org.rep_a, org.rep_b, org.rep_c)]
    make_rule(name="全部", members=members, condition="")
    stored = intake(phone="13900000001", company="杭州博远精密机械有限公司").lead
    rows = _rows()
    writer_pids.write_text("")  # the stored lead's event, dispatched here

    job = _run(org.admin, rows, dry_run=True)
    said = _report(job)
    before = _slots(org)
    assert Lead.objects.count() == 1
    job = _run(org.admin, rows, dry_run=False, job=job)
    assert job.state == JobState.DONE and job.progress == 100

    # The child wrote it: the events were dispatched by another process.
    pids = writer_pids.read_text().split()
    assert len(pids) == 33 and str(os.getpid()) not in pids
    # The same decisions as the dry run, row by row (owners by the same round robin).
    assert _report(job) == said
    statuses = {s for _n, s, _m in said}
    assert statuses == {"create", "duplicate", "error"}
    assert f"#{stored.pk}" in job.rows.get(row_no=7).message
    assert "earlier row" in job.rows.get(row_no=26).message
    assert job.counts == {
        "create": 33,
        "update": 0,
        "unchanged": 0,
        "duplicate": 2,
        "error": 1,
    }

    created = job.rows.filter(status="create")
    leads = Lead.objects.in_bulk([r.object_id for r in created])
    assert len(leads) == 33
    for report_row in created:
        lead = leads[report_row.object_id]
        assert lead.owner.label in report_row.message
        assert lead.history.get().history_change_reason == f"intake · import #{job.pk}"
        assert Inquiry.objects.get(lead=lead).payload["import"] == job.pk
        assert Assignment.objects.get(lead=lead).owner_id == lead.owner_id
        assert report_row.committed
    # The slots taken are in the day's counts; the keys make a re-import idempotent.
    assert _slots(org) == before + 33
    assert ImportKey.objects.filter(job=job).count() == 33

    again = _run(org.admin, rows, dry_run=False, job=_run(org.admin, rows, dry_run=True))
    assert again.counts["unchanged"] == 33 and again.counts["create"] == 0
    assert Lead.objects.count() == 34


@pytest.mark.usefixtures("small_chunks")
def test_a_chunk_that_updates_an_earlier_import_is_written_here():
    org = build_org()
    make_rule(name="全部", members=[{"user_id": org.rep_a.pk}], condition="")
    rows = [row(n, ext=f"U-{n}") for n in range(1, 31)]
    first = _run(org.admin, rows, dry_run=False, job=_run(org.admin, rows, dry_run=True))
    assert first.counts["create"] == 30

    changed = [list(r) for r in rows] + [row(n, ext=f"U-{n}") for n in range(31, 41)]
    changed[14][6] = "改为要演示"  # row 16, in the second chunk: an update
    job = _run(org.admin, changed, dry_run=True)
    job = _run(org.admin, changed, dry_run=False, job=job)
    assert job.counts == {"create": 10, "update": 1, "unchanged": 29, "duplicate": 0, "error": 0}
    lead = Lead.objects.get(pk=job.rows.get(row_no=16).object_id)
    assert lead.need == "改为要演示"
    assert Lead.objects.count() == 40
    assert ImportKey.objects.filter(entity="lead").count() == 40
