"""The forecast (D6): weighting by stage probability, close periods, commit categories,
per team and rep, and what each role sees. Today is 2026-07-15 (reports conftest).

    rep_a  needs 25 %        100,000  close 2026-07-20  commit     → weighted 25,000
    rep_a  proposal 40 %      50,000  close 2026-08-05  best case  → 20,000
    rep_b  contact 10 %      200,000  close 2026-07-31  pipeline   → 20,000
    rep_b  demo 60 %          10,000  close 2026-09-10  omitted    → (6,000, left out)
    rep_d  negotiation 80 %   30,000  no close date     commit     → 24,000
    rep_a  won deal, closing in July: not open, not counted
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from salesops.pipeline.models import CommitCategory
from salesops.pipeline.tests.factories import default_pipeline, make_deal
from salesops.reports.pipeline_forecast import forecast

from .pipeline_data import at, move, opened

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def deals(org):
    default_pipeline()
    make_deal(
        owner=org.rep_a,
        stage_code="needs",
        amount=D("100000"),
        expected_close_date=dt.date(2026, 7, 20),
        commit_category=CommitCategory.COMMIT,
    )
    make_deal(
        owner=org.rep_a,
        stage_code="proposal",
        amount=D("50000"),
        expected_close_date=dt.date(2026, 8, 5),
        commit_category=CommitCategory.BEST_CASE,
    )
    make_deal(
        owner=org.rep_b,
        amount=D("200000"),
        expected_close_date=dt.date(2026, 7, 31),
        commit_category=CommitCategory.PIPELINE,
    )
    make_deal(
        owner=org.rep_b,
        stage_code="demo",
        amount=D("10000"),
        expected_close_date=dt.date(2026, 9, 10),
        commit_category=CommitCategory.OMITTED,
    )
    make_deal(
        owner=org.rep_d,
        stage_code="negotiation",
        amount=D("30000"),
        commit_category=CommitCategory.COMMIT,
    )
    won = opened(
        org.rep_a,
        at(7, 1),
        stage_code="signing",
        amount=D("999999"),
        expected_close_date=dt.date(2026, 7, 10),
        commit_category=CommitCategory.COMMIT,
    )
    move(won, "won", at(7, 10), "5")


def test_weighted_pipeline_by_month_and_category(deals):
    report = forecast(start=dt.date(2026, 7, 1))
    periods = {label: f for _s, label, f in report.periods}
    assert list(periods) == ["2026-07", "2026-08", "2026-09", "No close date"]
    july = periods["2026-07"]
    assert (july.deals, july.amount, july.weighted) == (2, D("300000.00"), D("45000.00"))
    assert (july.commit, july.best_case, july.pipeline) == (
        D("100000.00"),
        D("100000.00"),
        D("200000.00"),
    )
    assert periods["2026-08"].weighted == D("20000.00")
    assert periods["2026-08"].best_case == D("50000.00")
    september = periods["2026-09"]
    assert (september.deals, september.weighted, september.omitted) == (0, D("0.00"), D("10000.00"))
    assert periods["No close date"].weighted == D("24000.00")
    assert report.total.weighted == D("89000.00")
    assert report.total.commit == D("130000.00")
    assert report.total.best_case == D("180000.00")


def test_quarters_and_the_roll_up_by_team_and_rep(org, deals):
    report = forecast(granularity="quarter", start=dt.date(2026, 7, 1))
    periods = {label: f.weighted for _s, label, f in report.periods}
    assert periods == {"2026 Q3": D("65000.00"), "No close date": D("24000.00")}
    teams = {team.name: f.weighted for team, f in report.teams}
    assert teams == {
        "Company": D("89000.00"),
        "East": D("65000.00"),
        "South": D("24000.00"),
    }
    owners = {user.username: f.weighted for user, f in report.owners}
    assert owners == {"rep_a": D("45000.00"), "rep_b": D("20000.00"), "rep_d": D("24000.00")}


def test_the_close_period_filter(deals):
    report = forecast(start=dt.date(2026, 8, 1), end=dt.date(2026, 8, 31))
    labels = [label for _s, label, _f in report.periods]
    assert labels == ["2026-08", "No close date"]


@pytest.mark.parametrize(
    ("who", "weighted"),
    [
        ("rep_a", "45000.00"),
        ("manager_east", "65000.00"),
        ("manager_south", "24000.00"),
        ("director", "89000.00"),
        ("admin", "89000.00"),
        ("finance", "89000.00"),
    ],
)
def test_the_forecast_page_per_role(client, org, deals, who, weighted):
    client.force_login(getattr(org, who))
    response = client.get(reverse("reports:pipeline_forecast"))
    assert response.status_code == 200
    assert response.context["report"].total.weighted == D(weighted)
    assert b"forecast-chart" in response.content
    assert "max(0, 1 − |won − forecast| ÷ won)" in response.content.decode()
