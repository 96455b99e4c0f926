"""The qualified pipeline (D8): need + budget + decision maker, summed per rep and team.

rep_a  qualified           100,000 (proposal 40 %)
rep_a  need + budget only   50,000 → not qualified
rep_b  qualified            30,000 (contact 10 %)
rep_d  qualified            70,000, lost → not open, not counted
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from salesops.pipeline.tests.factories import default_pipeline, make_deal
from salesops.reports.pipeline_qualified import qualified_pipeline, qualified_report

from .pipeline_data import move

pytestmark = pytest.mark.django_db

D = Decimal
QUALIFIED = {"need_confirmed": True, "budget_confirmed": True, "decision_maker_identified": True}


@pytest.fixture
def deals(org):
    default_pipeline()
    make_deal(owner=org.rep_a, stage_code="proposal", amount=D("100000"), **QUALIFIED)
    make_deal(owner=org.rep_a, amount=D("50000"), need_confirmed=True, budget_confirmed=True)
    make_deal(owner=org.rep_b, amount=D("30000"), **QUALIFIED)
    lost = make_deal(owner=org.rep_d, amount=D("70000"), **QUALIFIED)
    move(lost, "lost", lost.stage_entered_at, "1")


def test_qualified_pipeline_sums_for_targets(org, deals):
    assert qualified_pipeline() == D("130000.00")
    assert qualified_pipeline(owner=org.rep_a) == D("100000.00")
    assert qualified_pipeline(team=org.east) == D("130000.00")
    assert qualified_pipeline(team=org.shanghai) == D("0.00")
    assert qualified_pipeline(team=org.south) == D("0.00")
    assert qualified_pipeline(product_line="no-such-line") == D("0.00")
    # as of a day before the deals were opened: nothing yet
    assert qualified_pipeline(on=dt.date(2026, 7, 14)) == D("0.00")
    assert qualified_pipeline(on=dt.date(2026, 7, 15)) == D("130000.00")


def test_the_report_per_rep_and_team(org, deals):
    report = qualified_report()
    owners = {u.username: f for u, f in report.owners}
    assert (owners["rep_a"].deals, owners["rep_a"].amount) == (1, D("100000.00"))
    assert owners["rep_a"].weighted == D("40000.00")
    assert (owners["rep_a"].open_deals, owners["rep_a"].open_amount) == (2, D("150000.00"))
    assert owners["rep_a"].share == 66.7
    assert owners["rep_b"].amount == D("30000.00")
    assert "rep_d" not in owners  # their only deal is lost
    teams = {t.name: f.amount for t, f in report.teams}
    assert teams == {"Company": D("130000.00"), "East": D("130000.00")}
    assert report.total.amount == D("130000.00")
    assert report.missing == {
        "need_confirmed": 0,
        "budget_confirmed": 0,
        "decision_maker_identified": 1,
    }


@pytest.mark.parametrize(
    ("who", "amount"),
    [
        ("rep_a", "100000.00"),
        ("rep_b", "30000.00"),
        ("rep_d", "0"),
        ("manager_east", "130000.00"),
        ("manager_south", "0"),
        ("director", "130000.00"),
        ("admin", "130000.00"),
    ],
)
def test_the_qualified_page_per_role(client, org, deals, who, amount):
    client.force_login(getattr(org, who))
    response = client.get(reverse("reports:pipeline_qualified"))
    assert response.status_code == 200
    assert response.context["report"].total.amount == D(amount)
    assert b"qualified-chart" in response.content or amount == "0"
