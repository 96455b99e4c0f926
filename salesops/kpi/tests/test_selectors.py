"""The self-service selectors (K3): who sees which score card, ranks with ties, ranking
names per policy, the drill-down's records, freshness of the live row and the home card."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.http import Http404

from salesops.kpi import selectors
from salesops.kpi.models import (
    DirtyRep,
    KpiPolicy,
    MetricValue,
    RankingVisibility,
    RepScore,
    Scheme,
)
from salesops.kpi.selectors_drill import drill, drill_component, record_row

from .factories_me import END, NOW, START, log, scored_month

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def month(org):
    return scored_month(org)


def value_of(user, code):
    return next(
        v
        for v in MetricValue.objects.filter(user=user).select_related("item")
        if v.item.metric_definition["code"] == code
    )


def set_visibility(mode):
    policy = KpiPolicy.current()
    policy.ranking_visibility = mode
    policy.save()


def test_rep_sees_own_card_with_ranks_gaps_and_what_the_target_scores(org, month):
    card = selectors.score_card(org.rep_b, org.rep_b.pk, START, END)
    assert card.row.score == Decimal("52.50")
    assert (card.row.rank_team, card.team_size) == (2, 2)  # East: rep_a, rep_b
    assert (card.row.rank_org, card.org_size) == (2, 4)  # tied with rep_c
    lines = {line.code: line for line in card.lines}
    assert lines["calls"].value.actual == 2 and lines["calls"].gap == 2
    assert lines["calls"].target_score == Decimal("100.00")
    assert lines["call_share"].derived and lines["call_share"].gap is None
    groups = {g: (score, [x.code for x in items]) for g, _l, score, items in card.groups()}
    assert groups["result"] == (Decimal("50.00"), ["calls"])
    assert groups["quality"][1] == ["call_share"]


def test_rep_may_not_open_another_reps_card(org, month):
    with pytest.raises(Http404):
        selectors.score_card(org.rep_a, org.rep_b.pk, START, END)
    with pytest.raises(Http404):
        selectors.score_card(org.rep_a, 999999, START, END)


def test_manager_sees_their_team_and_director_everyone(org, month):
    for rep in (org.rep_a, org.rep_b, org.rep_c):  # Shanghai is under East
        assert selectors.score_card(org.manager_east, rep.pk, START, END).row is not None
    with pytest.raises(Http404):
        selectors.score_card(org.manager_east, org.rep_d.pk, START, END)
    with pytest.raises(Http404):
        selectors.score_card(org.manager_south, org.rep_a.pk, START, END)
    for rep in (org.rep_a, org.rep_d):
        assert selectors.score_card(org.director, rep.pk, START, END).row is not None


def test_rep_without_a_scheme_gets_a_reason_not_an_error(org):
    Scheme.objects.update(is_active=False)  # the default scheme too
    card = selectors.score_card(org.rep_a, org.rep_a.pk, START, END)
    assert card.row is None and card.reason == "no_scheme" and card.lines == []


def test_org_ranking_shows_ties_as_competition_ranks(org, month):
    result = selectors.ranking(org.director, START, END, scope="org")
    assert [(r.name, r.rank) for r in result.rows] == [
        ("Rep A", 1),
        ("Rep B", 2),
        ("Rep C", 2),
        ("Rep D", 4),
    ]
    assert result.total == 4 and result.names


def test_ranking_names_follow_the_policy(org, month):
    set_visibility(RankingVisibility.RANK_ONLY)
    team = selectors.ranking(org.rep_b, START, END, scope="team")
    assert [(r.name, r.rank) for r in team.rows] == [("Rep B", 2)]
    assert team.total == 2 and not team.names and team.me.rank == 2

    set_visibility(RankingVisibility.TEAM)
    team = selectors.ranking(org.rep_b, START, END, scope="team")
    assert [r.name for r in team.rows] == ["Rep A", "Rep B"] and team.names
    org_scope = selectors.ranking(org.rep_b, START, END, scope="org")
    assert [r.name for r in org_scope.rows] == ["Rep B"] and org_scope.total == 4

    set_visibility(RankingVisibility.ORG)
    org_scope = selectors.ranking(org.rep_b, START, END, scope="org")
    assert [r.name for r in org_scope.rows] == ["Rep A", "Rep B", "Rep C", "Rep D"]


def test_manager_ranks_their_team_and_sees_only_their_people_in_the_org(org, month):
    team = selectors.ranking(org.manager_east, START, END, scope="team")
    assert [(r.name, r.rank) for r in team.rows] == [("Rep A", 1), ("Rep B", 2), ("Rep C", 2)]
    org_scope = selectors.ranking(org.manager_east, START, END, scope="org")
    assert {r.name for r in org_scope.rows} == {"Rep A", "Rep B", "Rep C"}
    assert org_scope.total == 4 and not org_scope.names


def test_ranking_search_and_bad_scope(org, month):
    found = selectors.ranking(org.director, START, END, scope="org", search="rep c")
    assert [(r.name, r.rank) for r in found.rows] == [("Rep C", 2)]
    with pytest.raises(ValidationError) as exc:
        selectors.ranking(org.director, START, END, scope="world")
    assert "scope" in exc.value.message_dict


def test_drill_lists_exactly_the_records_behind_a_count(org, month):
    value = value_of(org.rep_a, "calls")
    found = drill(org.rep_a, value.pk)
    assert found.records.count() == value.actual == 4
    assert {a.kind for a in found.records} == {"call"}
    assert {a.owner_id for a in found.records} == {org.rep_a.pk}
    row = record_row(found.records.first(), found.definition)
    assert row["url"] == found.records.first().get_absolute_url()
    assert row["date"] is not None
    visits = drill(org.manager_east, value_of(org.rep_a, "visits").pk)
    assert visits.records.count() == 2


def test_drill_of_a_derived_value_lists_its_components(org, month):
    value = value_of(org.rep_a, "call_share")
    found = drill(org.rep_a, value.pk)
    assert found.derived and found.records is None
    parts = {c.code: c for c in found.components}
    assert set(parts) == {"calls", "visits"}
    assert parts["calls"].value_id == value_of(org.rep_a, "calls").pk
    assert parts["calls"].value == "4.0000"
    by_code = drill_component(org.rep_a, value.pk, "visits")
    assert by_code.records.count() == 2
    with pytest.raises(Http404):
        drill_component(org.rep_a, value.pk, "nps")


def test_drill_is_404_for_someone_who_may_not_see_the_rep(org, month):
    value = value_of(org.rep_a, "calls")
    for viewer in (org.rep_b, org.manager_south):
        with pytest.raises(Http404):
            drill(viewer, value.pk)


def test_stale_live_row_is_refreshed_before_it_is_read(org, month):
    later = NOW + dt.timedelta(hours=2)
    with time_machine.travel(later, tick=False):
        log(org.rep_b, "call", 2)
        DirtyRep.objects.update_or_create(user=org.rep_b, defaults={"marked_at": later})
        card = selectors.score_card(org.rep_b, org.rep_b.pk, START, END)
    assert card.refreshed
    assert {x.code: x.value.actual for x in card.lines}["calls"] == 4
    assert RepScore.objects.get(user=org.rep_b).computed_at == later
    # A fresh row is not recomputed again.
    assert not selectors.score_card(org.rep_b, org.rep_b.pk, START, END).refreshed


def test_missing_live_row_is_computed_on_first_read(org, month):
    RepScore.objects.filter(user=org.rep_d).delete()
    MetricValue.objects.filter(user=org.rep_d).delete()
    card = selectors.score_card(org.rep_d, org.rep_d.pk, START, END)
    assert card.refreshed and card.row.score == Decimal("30.00")


def test_home_card_has_score_rank_and_the_biggest_gap(org, month):
    card = selectors.home_card(org.rep_d)
    assert card["score"] == Decimal("30.00")
    assert (card["rank_team"], card["team_size"], card["rank_org"], card["org_size"]) == (
        1,
        1,
        4,
        4,
    )
    assert card["gap"]["code"] == "visits"  # 0 of 2 is further behind than 1 of 4 calls
    assert selectors.home_card(org.director) is None


def test_period_parsing_names_the_field(org):
    assert selectors.parse_period("2026-07") == (START, END)
    assert selectors.parse_period("") == (START, END)
    for bad in ("2026-13", "july", "2026-7-1", "1999-01"):
        with pytest.raises(ValidationError) as exc:
            selectors.parse_period(bad)
        assert "period" in exc.value.message_dict
