"""The deal sections of the home pages (issue 14 item 10): a rep's deals needing action,
a manager's approvals and team pipeline, a director's pipeline by team — visibility,
figures, rendering and bounded query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from salesops.core import clock
from salesops.demo.pipelines import pdf_bytes
from salesops.pipeline import evidence, stages
from salesops.pipeline.models import Deal, DealStatus
from salesops.pipeline.tests.factories import make_deal, stage
from salesops.reports.home import deals as home_deals

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _evidence_root(settings, tmp_path):
    settings.EVIDENCE_ROOT = tmp_path / "evidence"


def stalled_deal(owner, **fields):
    deal = make_deal(owner=owner, **fields)
    Deal.objects.filter(pk=deal.pk).update(stall_due_at=clock.now() - dt.timedelta(days=2))
    return Deal.objects.get(pk=deal.pk)


def asked_deal(owner, name="asked"):
    """A deal in 方案提交 (needs approval) meeting its criteria, its move to 演示完成
    waiting for the manager."""
    deal = make_deal(
        owner=owner,
        stage_code="proposal",
        name=name,
        expected_close_date=dt.date(2026, 9, 30),
    )
    upload = SimpleUploadedFile("方案书.pdf", pdf_bytes("proposal"), "application/pdf")
    evidence.evidence_add(actor=owner, deal=deal, type="proposal", upload=upload)
    change = stages.request_stage_change(actor=owner, deal=deal, to_stage=stage("demo"))
    assert change.state == "pending"
    return deal, change


# --- rep ------------------------------------------------------------------------------------
def test_rep_sees_stalled_short_rejected_and_pending_deals_of_their_own(org):
    stuck = stalled_deal(org.rep_a, name="stuck")
    short = make_deal(owner=org.rep_a, stage_code="needs", name="short")  # no minutes yet
    waiting, _change = asked_deal(org.rep_a, "waiting")
    turned, change = asked_deal(org.rep_a, "turned")
    stages.reject(actor=org.manager_east, change=change, reason="毛利不够")
    stalled_deal(org.rep_b, name="not mine")
    data = home_deals.for_rep(org.rep_a)
    assert [d.pk for d in data["stalled"]] == [stuck.pk] and data["stalled_count"] == 1
    short_row = next(d for d in data["evidence"] if d.pk == short.pk)
    assert "Meeting minutes" in short_row.missing
    assert "need confirmed" in short_row.missing
    # a deal waiting for approval met its criteria: it is not "to meet"
    assert waiting.pk not in {d.pk for d in data["evidence"]}
    assert [c.deal_id for c in data["rejected"]] == [turned.pk]
    assert data["rejected"][0].decision_note == "毛利不够"
    assert [c.deal_id for c in data["pending"]] == [waiting.pk] and data["pending_count"] == 1
    assert "not mine" not in {d.name for d in data["stalled"] + data["evidence"]}


def test_a_rejected_deal_asked_again_leaves_the_redo_list(org):
    deal, change = asked_deal(org.rep_a)
    stages.reject(actor=org.manager_east, change=change, reason="再核算")
    stages.request_stage_change(actor=org.rep_a, deal=deal, to_stage=stage("demo"))
    data = home_deals.for_rep(org.rep_a)
    assert data["rejected"] == [] and data["pending_count"] == 1


def test_rep_home_page_shows_the_deal_section(client, org):
    stalled_deal(org.rep_a, name="卡住的商机")
    stalled_deal(org.rep_b, name="别人的商机")
    client.force_login(org.rep_a)
    page = client.get("/").content.decode()
    assert 'data-testid="section-deals"' in page and 'data-testid="deals-stalled"' in page
    assert "卡住的商机" in page and "别人的商机" not in page


def test_rep_home_without_deals_shows_the_empty_state(client, org):
    client.force_login(org.rep_b)
    page = client.get("/").content.decode()
    assert 'data-testid="empty-deals"' in page


def test_rep_deal_section_query_count_is_bounded(org, django_assert_max_num_queries):
    for i in range(2):
        stalled_deal(org.rep_a, name=f"s{i}")
        make_deal(owner=org.rep_a, stage_code="needs")
    with django_assert_max_num_queries(12) as few:
        home_deals.for_rep(org.rep_a)
    for i in range(12):
        stalled_deal(org.rep_a, name=f"more{i}")
        make_deal(owner=org.rep_a, stage_code="demo")
    with django_assert_max_num_queries(len(few.captured_queries)):
        data = home_deals.for_rep(org.rep_a)
    assert data["stalled_count"] == 14 and len(data["stalled"]) == home_deals.SHOWN


# --- manager --------------------------------------------------------------------------------
def test_manager_sees_the_teams_approvals_and_pipeline_per_rep(org):
    _deal, change = asked_deal(org.rep_a)
    make_deal(owner=org.rep_b, amount=Decimal("200000"), stage_code="negotiation")
    stalled_deal(org.rep_b, amount=Decimal("50000"))
    won = make_deal(owner=org.rep_b, amount=Decimal("1"))
    Deal.objects.filter(pk=won.pk).update(status=DealStatus.WON, closed_at=clock.now())
    asked_deal(org.rep_d)  # another team's
    board = home_deals.for_board(org.manager_east, [org.rep_a, org.rep_b])
    assert [c.pk for c in board["approvals"]] == [change.pk] and board["approval_count"] == 1
    row_b = next(r for r in board["rows"] if r["rep"] == org.rep_b)
    assert (row_b["open"], row_b["amount"], row_b["stalled"]) == (2, Decimal("250000"), 1)
    # 商务谈判 weighs 80 %, 初步接触 10 %
    assert row_b["weighted"] == Decimal("165000")
    assert row_b["won"] == 1
    assert board["totals"]["open"] == 3
    # the other region's manager sees none of it
    south = home_deals.for_board(org.manager_south, [org.rep_d])
    assert south["approval_count"] == 1 and south["approvals"][0].deal.owner == org.rep_d


def test_manager_home_page_renders_the_deal_sections(client, org):
    deal, _change = asked_deal(org.rep_a, "待审批商机")
    client.force_login(org.manager_east)
    page = client.get("/").content.decode()
    assert 'data-testid="section-approvals"' in page
    assert 'data-testid="section-team-pipeline"' in page
    assert "待审批商机" in page
    client.force_login(org.manager_south)
    page = client.get("/").content.decode()
    assert 'data-testid="empty-approvals"' in page and "待审批商机" not in page


def test_board_deal_section_query_count_does_not_grow(org, django_assert_max_num_queries):
    reps = [org.rep_a, org.rep_b]
    asked_deal(org.rep_a)
    with django_assert_max_num_queries(8) as few:
        home_deals.for_board(org.manager_east, reps)
    for i in range(4):
        asked_deal(org.rep_b, f"b{i}")
        stalled_deal(org.rep_a)
    with django_assert_max_num_queries(len(few.captured_queries)):
        home_deals.for_board(org.manager_east, reps)


# --- director -------------------------------------------------------------------------------
def test_director_pipeline_by_team_rolls_up_the_subtree(client, org):
    make_deal(owner=org.rep_a, amount=Decimal("100000"))
    make_deal(owner=org.rep_c, amount=Decimal("30000"))
    stalled_deal(org.rep_d, amount=Decimal("7000"))
    data = home_deals.for_director(org.director)
    rows = {r["team"].name: r for r in data["rows"]}
    assert (rows["East"]["open"], rows["East"]["amount"]) == (2, Decimal("130000"))
    assert (rows["Shanghai"]["open"], rows["Shanghai"]["amount"]) == (1, Decimal("30000"))
    assert (rows["South"]["open"], rows["South"]["stalled"]) == (1, 1)
    assert rows["Company"]["open"] == 3
    client.force_login(org.director)
    page = client.get("/").content.decode()
    assert 'data-testid="section-pipeline-by-team"' in page
    assert page.count('data-testid="pipeline-team-row"') == 4


def test_a_manager_reads_only_their_subtree_in_the_team_figures(org):
    make_deal(owner=org.rep_a)
    make_deal(owner=org.rep_d)
    data = home_deals.for_director(org.manager_south)
    rows = {r["team"].name: r for r in data["rows"]}
    assert rows["South"]["open"] == 1 and rows["East"]["open"] == 0
