"""My comparison (K4) on a hand-built team: TOP3 never includes me, the team median, a
fixed benchmark, better/worse by the metric's direction.

East gets five scored reps (calls, visits) → total score:
rep_a (5, 2) 107.71 · rep_e (4, 1) 84.50 · rep_f (3, 1) 68.75 · rep_b (2, 1) 52.50 ·
rep_g (0, 1) 12.50. Shanghai (rep_c) and South (rep_d) are other teams.
"""

from decimal import Decimal

import pytest
import time_machine

from salesops.kpi import comparison
from salesops.kpi.models import BenchmarkMode, KpiPolicy, RankingVisibility
from salesops.org.tests.factories import UserFactory

from .factories import make_metric
from .factories_me import END, NOW, START, scored_month, standard_metrics

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def team(org):
    extra = {
        name: UserFactory(username=name, display_name=name.replace("_", " ").title(), team=org.east)
        for name in ("rep_e", "rep_f", "rep_g")
    }
    found = standard_metrics()
    make_metric("calls_low", filter='kind == "call"', higher_is_better=False)
    scored_month(
        org,
        {
            "rep_a": (5, 2),
            extra["rep_e"]: (4, 1),
            extra["rep_f"]: (3, 1),
            "rep_b": (2, 1),
            extra["rep_g"]: (0, 1),
            "rep_c": (9, 9),
            "rep_d": (9, 9),
        },
        found,
    )
    policy = KpiPolicy.current()
    policy.comparison_metrics = ["calls", "visits", "calls_low", "no_such_metric"]
    policy.save()
    return extra


def lines(result):
    return {line["code"]: line for line in result["metrics"]}


def test_top3_is_the_three_best_teammates_and_the_benchmark_the_team_median(org, team):
    result = comparison.compare(org.rep_b, START, END)
    assert [t["user_id"] for t in result["top3"]] == [
        org.rep_a.pk,
        team["rep_e"].pk,
        team["rep_f"].pk,
    ]
    assert result["rank_team"] == 4 and result["team_size"] == 5 and not result["i_am_top3"]
    calls = lines(result)["calls"]
    assert calls["me"] == 2
    assert calls["top3"] == Decimal("4")  # (5 + 4 + 3) / 3
    assert calls["benchmark"] == 3  # median of 5, 4, 3, 2, 0
    assert (calls["vs_top3"], calls["vs_benchmark"]) == ("worse", "worse")
    visits = lines(result)["visits"]
    assert visits["top3"] == Decimal("1.3333") and visits["benchmark"] == 1
    assert visits["vs_benchmark"] == "equal"
    assert result["missing"] == ["no_such_metric"]


def test_lower_is_better_turns_the_verdict(org, team):
    low = lines(comparison.compare(org.rep_b, START, END))["calls_low"]
    assert (low["vs_top3"], low["vs_benchmark"]) == ("better", "better")


def test_when_i_am_in_the_top_three_the_top3_are_the_best_of_the_others(org, team):
    result = comparison.compare(org.rep_a, START, END)
    assert result["i_am_top3"] and result["rank_team"] == 1
    assert org.rep_a.pk not in [t["user_id"] for t in result["top3"]]
    assert lines(result)["calls"]["top3"] == Decimal("3")  # rep_e 4, rep_f 3, rep_b 2
    assert lines(result)["calls"]["vs_top3"] == "better"


def test_fixed_benchmark_values(org, team):
    policy = KpiPolicy.current()
    policy.benchmark_mode = BenchmarkMode.FIXED
    policy.benchmark_values = {"calls": "2", "visits": "oops"}
    policy.save()
    result = lines(comparison.compare(org.rep_b, START, END))
    assert result["calls"]["benchmark"] == 2 and result["calls"]["vs_benchmark"] == "equal"
    assert result["visits"]["benchmark"] is None and result["visits"]["vs_benchmark"] is None


def test_top3_names_follow_the_ranking_visibility(org, team):
    policy = KpiPolicy.current()
    policy.ranking_visibility = RankingVisibility.RANK_ONLY
    policy.save()
    result = comparison.compare(org.rep_b, START, END)
    assert [t["name"] for t in result["top3"]] == [None, None, None]
    assert [t["name"] for t in comparison.compare(org.manager_east, START, END)["top3"]] == []


def test_chart_scales_each_metric_to_the_largest_of_the_three(org, team):
    result = comparison.compare(org.rep_b, START, END)
    labels = {"me": "Me", "top3": "TOP3", "benchmark": "Benchmark", "axis": "%"}
    chart = comparison.chart_data(result, labels)
    me = next(s for s in chart["series"] if s["key"] == "me")
    top3 = next(s for s in chart["series"] if s["key"] == "top3")
    assert chart["labels"][0] == "Calls"
    assert top3["data"][0] == 100.0 and me["data"][0] == 50.0 and me["raw"][0] == 2.0


def test_median_and_mean_helpers():
    assert comparison.median([Decimal(1), None, Decimal(4), Decimal(2), Decimal(3)]) == Decimal(
        "2.5"
    )
    assert comparison.median([]) is None and comparison.mean([None]) is None
    assert comparison.verdict(None, Decimal(1), True) is None
