"""Stage conversion and time in stage (D5) on a hand-built June 2026 history.

    d1 rep_a  contact 6/1 →(2) needs 6/3 →(3) proposal 6/8 →(2) won 6/10
    d2 rep_a  contact 6/2 →(4) needs 6/6 →(1) back to contact 6/9 →(3) needs 6/12 →(3) lost 6/15
    d3 rep_b  contact 6/4 →(6) lost 6/10
    d4 rep_b  contact 6/5 (still there)
    d5 rep_c  contact 5/20 →(8) needs 6/2 (still there)       (rep_c: Shanghai, under East)

(n) = working days in the stage left. For June:
    contact  entered 5 (d1, d2 twice, d3, d4); forward 3 (d1, d2 twice) → 60 %;
             won 1 (d1) → 20 %; stays 2, 4, 3, 6 → average 3.75, median 3.5
    needs    entered 4 (d1, d2 twice, d5); forward 1 (d1) → 25 %; won 1 → 25 %;
             stays 3, 1, 3 → average 2.33, median 3   ← bottleneck
    proposal entered 1, forward 1 (won) → 100 %; stays 2
    won 1, lost 2
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from salesops.core import choices
from salesops.pipeline import stages
from salesops.pipeline.tests.factories import default_pipeline, stage
from salesops.reports.pipeline_common import Period
from salesops.reports.pipeline_conversion import conversion, median_from_counts

from .pipeline_data import at, june_history, move, opened

pytestmark = pytest.mark.django_db

JUNE = Period(dt.date(2026, 6, 1), dt.date(2026, 6, 30))


@pytest.fixture
def history(org):
    default_pipeline()
    return june_history(org)


def by_code(report):
    return {row.stage.code: row for row in report.rows}


def test_conversion_and_time_in_stage_on_the_known_history(history):
    # When
    report = conversion(pipeline=default_pipeline(), period=JUNE)
    rows = by_code(report)
    # Then
    contact, needs, proposal = rows["contact"], rows["needs"], rows["proposal"]
    assert (contact.entered, contact.forward, contact.won, contact.stays) == (5, 3, 1, 4)
    assert (contact.conversion, contact.win_rate) == (60.0, 20.0)
    assert (contact.avg_days, contact.median_days) == (3.75, 3.5)
    assert (needs.entered, needs.forward, needs.won, needs.stays) == (4, 1, 1, 3)
    assert (needs.conversion, needs.win_rate) == (25.0, 25.0)
    assert (needs.avg_days, needs.median_days) == (2.33, 3.0)
    assert (proposal.entered, proposal.forward, proposal.conversion) == (1, 1, 100.0)
    assert proposal.median_days == 2.0
    assert rows["demo"].entered == 0 and rows["demo"].conversion is None
    assert (report.won_entered, report.lost_entered) == (1, 2)
    assert report.bottleneck.stage.code == "needs"
    assert [r.stage.code for r in report.rows if r.bottleneck] == ["needs"]
    assert [item["value"] for item in report.funnel()] == [5, 4, 1, 0, 0, 0, 1]


def test_a_stay_counts_for_the_period_it_began_in(history):
    # When: May only — d5 entered contact in May and left it in June
    may = conversion(
        pipeline=default_pipeline(), period=Period(dt.date(2026, 5, 1), dt.date(2026, 5, 31))
    )
    # Then
    contact = by_code(may)["contact"]
    assert (contact.entered, contact.forward, contact.median_days) == (1, 1, 8.0)
    assert by_code(may)["needs"].entered == 0


def test_filters_by_rep_and_team(org, history):
    pipeline = default_pipeline()
    # rep_b: two deals entered contact, none moved forward
    rows = by_code(conversion(pipeline=pipeline, period=JUNE, owner_ids=[org.rep_b.pk]))
    assert (rows["contact"].entered, rows["contact"].forward, rows["contact"].conversion) == (
        2,
        0,
        0.0,
    )
    assert rows["contact"].median_days == 6.0  # only d3's stay finished
    # rep_c only (the Shanghai group): d5 entered needs in June
    rows = by_code(conversion(pipeline=pipeline, period=JUNE, owner_ids=[org.rep_c.pk]))
    assert rows["needs"].entered == 1 and rows["contact"].entered == 0


def test_bottleneck_ties_go_to_the_longest_median(org):
    # Given: contact and needs both convert 50 %; contact's stays are longer
    pipeline = default_pipeline()
    x1 = opened(org.rep_a, at(6, 1))
    move(x1, "needs", at(6, 3), "5")
    move(x1, "lost", at(6, 5), "2")
    x2 = opened(org.rep_a, at(6, 1))
    move(x2, "lost", at(6, 2), "5")
    x3 = opened(org.rep_a, at(6, 4), stage_code="needs")
    move(x3, "proposal", at(6, 6), "2")
    move(x3, "won", at(6, 8), "1")
    # When
    report = conversion(pipeline=pipeline, period=JUNE)
    rows = by_code(report)
    # Then
    assert rows["contact"].conversion == rows["needs"].conversion == 50.0
    assert (rows["contact"].median_days, rows["needs"].median_days) == (5.0, 2.0)
    assert report.bottleneck.stage.code == "contact"


def test_moves_made_through_the_service_are_counted(org):
    # Given: a deal moved forward, back and lost through the stage-change service
    pipeline = default_pipeline()
    deal = opened(org.rep_a, at(6, 1))
    with time_machine.travel(at(6, 3), tick=False):
        stages.request_stage_change(actor=org.rep_a, deal=deal, to_stage=stage("needs"))
    with time_machine.travel(at(6, 5), tick=False):
        deal.refresh_from_db()
        stages.request_stage_change(
            actor=org.rep_a, deal=deal, to_stage=stage("contact"), reason="客户需求变化"
        )
    with time_machine.travel(at(6, 8), tick=False):
        deal.refresh_from_db()
        stages.request_stage_change(
            actor=org.rep_a,
            deal=deal,
            to_stage=stage("lost"),
            reason="预算取消",
            lost_reason=choices.active_codes(choices.DEAL_LOST_REASON)[0],
        )
    # When
    rows = by_code(conversion(pipeline=pipeline, period=JUNE))
    # Then: contact entered twice (created, moved back), left forward once; needs once, back
    assert (rows["contact"].entered, rows["contact"].forward, rows["contact"].stays) == (2, 1, 2)
    assert (rows["needs"].entered, rows["needs"].forward, rows["needs"].stays) == (1, 0, 1)
    assert rows["needs"].median_days is not None and rows["needs"].median_days > 0


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ([], None),
        ([(1, 1)], 1.0),
        ([(1, 1), (3, 1)], 2.0),
        ([(1, 2), (5, 1)], 1.0),
        ([(1, 1), (2, 1), (9, 2)], 5.5),
    ],
)
def test_median_from_a_frequency_table(counts, expected):
    assert median_from_counts(counts) == expected
