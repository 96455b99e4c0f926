"""Weekly forecast snapshots and forecast accuracy (D6).

On Monday 2026-06-01 rep_a has a proposal (40 %) of 100,000 and rep_b a negotiation
(80 %) of 50,000, both closing in June: the snapshot says 40,000 each. rep_a wins the
deal on 6-15, rep_b loses theirs. Accuracy of June 4 weeks ahead (snapshot on or before
6-30 − 28 days = 6-02, i.e. the 6-01 one):

    rep_a  1 − |100,000 − 40,000| ÷ 100,000 = 40 %
    rep_b  nothing won, 40,000 forecast      = 0 %
    East   1 − |100,000 − 80,000| ÷ 100,000 = 80 %
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from salesops.core import sweeps
from salesops.reports import forecast_snapshots
from salesops.reports.models import ForecastSnapshot
from salesops.reports.pipeline_forecast import period_start

from .pipeline_data import at, move, opened

pytestmark = pytest.mark.django_db

D = Decimal
JUNE = dt.date(2026, 6, 1)


@pytest.fixture
def june(org):
    a = opened(
        org.rep_a,
        at(5, 25),
        stage_code="proposal",
        amount=D("100000"),
        expected_close_date=dt.date(2026, 6, 20),
    )
    b = opened(
        org.rep_b,
        at(5, 25),
        stage_code="negotiation",
        amount=D("50000"),
        expected_close_date=dt.date(2026, 6, 25),
    )
    return a, b


def close_june(a, b):
    move(a, "won", at(6, 15), "10")
    move(b, "lost", at(6, 16), "11")


def test_the_sweep_takes_the_snapshot_on_mondays_once(org, june):
    # Not on a Tuesday
    assert dict(sweeps.run_all(at(6, 2, 9)))[forecast_snapshots.SWEEP_NAME] == (
        "not the snapshot day"
    )
    assert not ForecastSnapshot.objects.exists()
    # On Monday: one row per rep and close month
    summary = dict(sweeps.run_all(at(6, 1, 9)))[forecast_snapshots.SWEEP_NAME]
    assert summary == "snapshot of 2026-06-01: 2 row(s)"
    rows = {s.owner.username: s for s in ForecastSnapshot.objects.all()}
    assert rows["rep_a"].weighted == D("40000.00") and rows["rep_a"].team == org.east
    assert rows["rep_a"].period_start == JUNE and rows["rep_a"].amount == D("100000.00")
    assert rows["rep_b"].weighted == D("40000.00")
    # An hour later: nothing new
    assert dict(sweeps.run_all(at(6, 1, 10)))[forecast_snapshots.SWEEP_NAME] == "taken already"
    assert ForecastSnapshot.objects.count() == 2


def test_the_command_takes_a_snapshot_of_a_given_day(org, june, capsys):
    call_command("forecast_snapshot", "--date", "2026-06-08")
    assert "2 row(s)" in capsys.readouterr().out
    assert set(ForecastSnapshot.objects.values_list("taken_on", flat=True)) == {dt.date(2026, 6, 8)}


def test_accuracy_per_rep_and_team(org, june):
    # Given
    forecast_snapshots.take_snapshot(on=dt.date(2026, 6, 1))
    close_june(*june)
    # When
    report = forecast_snapshots.accuracy_report(month=JUNE, weeks=4)
    # Then
    assert report.taken_on == dt.date(2026, 6, 1)
    owners = {row.owner.username: row for row in report.owners}
    assert (owners["rep_a"].forecast, owners["rep_a"].actual) == (D("40000.00"), D("100000.00"))
    assert owners["rep_a"].accuracy == 40.0
    assert (owners["rep_b"].actual, owners["rep_b"].accuracy) == (D("0"), 0.0)
    teams = {row.label: row.accuracy for row in report.teams}
    assert teams == {"Company": 80.0, "East": 80.0}
    assert report.total.accuracy == 80.0


def test_no_snapshot_early_enough_means_a_forecast_of_zero(org, june):
    forecast_snapshots.take_snapshot(on=dt.date(2026, 6, 1))
    close_june(*june)
    report = forecast_snapshots.accuracy_report(month=JUNE, weeks=5)  # cutoff 5-26
    assert report.taken_on is None
    assert {row.owner.username: row.accuracy for row in report.owners} == {"rep_a": 0.0}


@pytest.mark.parametrize(
    ("actual", "forecast", "expected"),
    [
        ("100", "89", 89.0),
        ("100", "111", 89.0),
        ("100", "300", 0.0),
        ("0", "0", 100.0),
        ("0", "5", 0.0),
    ],
)
def test_the_accuracy_formula(actual, forecast, expected):
    assert forecast_snapshots.accuracy(D(actual), D(forecast)) == expected


def test_the_forecast_page_shows_accuracy_for_what_the_role_sees(client, org, june):
    forecast_snapshots.take_snapshot(on=dt.date(2026, 6, 1))
    close_june(*june)
    url = reverse("reports:pipeline_forecast")
    client.force_login(org.rep_a)
    response = client.get(url, {"month": "2026-06", "weeks": "4"})
    assert response.status_code == 200
    accuracy = response.context["accuracy"]
    assert [row.owner.username for row in accuracy.owners] == ["rep_a"]
    assert accuracy.total.accuracy == 40.0
    client.force_login(org.finance)
    response = client.get(url, {"month": "2026-06"})
    assert response.context["accuracy"].total.accuracy == 80.0
    assert 'data-testid="accuracy-team"' in response.content.decode()


def test_period_start_of_months_and_quarters():
    assert period_start(dt.date(2026, 8, 31), "quarter") == dt.date(2026, 7, 1)
    assert period_start(dt.date(2026, 12, 31), "month") == dt.date(2026, 12, 1)
    assert forecast_snapshots.month_end(dt.date(2026, 12, 1)) == dt.date(2026, 12, 31)
    assert forecast_snapshots.month_end(dt.date(2026, 2, 1)) == dt.date(2026, 2, 28)
