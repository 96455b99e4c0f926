"""The consensus survey (T6): answering once, anonymously; results only for groups of at
least the smallest size; deviation between levels and the correlation with attainment,
checked against hand-computed values."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from salesops.core import clock
from salesops.org.models import Role
from salesops.org.tests.factories import team
from salesops.revenue.tests.factories import make_contract
from salesops.targets import survey
from salesops.targets.models import (
    Survey,
    SurveyParticipation,
    SurveyResponse,
    TargetPolicy,
)

from .factories_survey import allocate, answer, answers, make_plan, person

pytestmark = pytest.mark.django_db
D = Decimal


# --- maths ------------------------------------------------------------------------------


def test_deviation_is_the_mean_absolute_pairwise_difference_over_the_target():
    # pairs: |100-120| = 20, |100-90| = 10, |120-90| = 30 → mean 20 → 20 / 200
    assert survey.deviation([D(100), D(120), D(90)], D(200)) == D("0.1000")
    assert survey.deviation([D(1000), D(1200)], D(2500)) == D("0.0800")
    assert survey.deviation([D(1000)], D(2500)) is None  # one level: nothing to compare
    assert survey.deviation([D(1), D(2)], D(0)) is None


def test_pearson_on_a_fixed_set():
    # x̄ = 3, ȳ = 4; Σdxdy = 6, Σdx² = 10, Σdy² = 6 → r = 6 / √60 = 0.774597
    xs = [D(1), D(2), D(3), D(4), D(5)]
    assert survey.pearson(xs, [D(2), D(4), D(5), D(4), D(5)]) == D("0.7746")
    assert survey.pearson(xs, [D(10), D(8), D(6), D(4), D(2)]) == D("-1.0000")
    assert survey.pearson(xs, [D(3)] * 5) is None  # no variation
    assert survey.pearson([D(1)], [D(1)]) is None


# --- answering --------------------------------------------------------------------------


def test_an_answer_keeps_level_and_team_only_and_counts_once(org):
    plan = make_plan(org.company)
    answer(plan, org.rep_a, "1200000", reachability=4, priority="key_accounts")
    answer(plan, org.director, "9000000")
    answer(plan, org.manager_sh, "300000")
    rows = {(r.level, r.team_id, r.estimate) for r in SurveyResponse.objects.all()}
    assert rows == {
        ("rep", org.east.pk, D("1200000.00")),
        ("director", org.company.pk, D("9000000.00")),  # a director answers for the plan
        ("manager", org.shanghai.pk, D("300000.00")),
    }
    assert set(SurveyParticipation.objects.values_list("user_id", flat=True)) == {
        org.rep_a.pk,
        org.director.pk,
        org.manager_sh.pk,
    }
    with pytest.raises(survey.SurveyConflict) as exc:
        answer(plan, org.rep_a, "1")
    assert exc.value.code == "answered" and "You have answered" in exc.value.messages[0]
    assert SurveyResponse.objects.count() == 3


def test_a_closed_survey_refuses_answers(org):
    plan = make_plan(org.east)
    survey.survey_set_open(actor=org.admin, plan=plan, is_open=False)
    with pytest.raises(survey.SurveyConflict) as exc:
        answer(plan, org.rep_a, "100")
    assert exc.value.code == "closed"
    # past its closing day, too
    survey.survey_set_open(actor=org.admin, plan=plan, is_open=True)
    Survey.objects.filter(plan=plan).update(closes_on=clock.today() - dt.timedelta(days=1))
    with pytest.raises(survey.SurveyConflict):
        answer(plan, org.rep_a, "100")
    assert not SurveyParticipation.objects.exists() and not SurveyResponse.objects.exists()


def test_only_opened_by_configurers(org):
    plan = make_plan(org.east)
    for user in (org.rep_a, org.manager_east, org.finance):
        with pytest.raises(PermissionDenied):
            survey.survey_set_open(actor=user, plan=plan, is_open=False)
    survey.survey_set_open(actor=org.director, plan=plan, is_open=False)
    assert survey.is_closed(Survey.objects.get(plan=plan))


def test_bad_values_are_named_and_nothing_is_stored(org):
    plan = make_plan(org.east)
    with pytest.raises(ValidationError) as exc:
        survey.survey_answer(
            plan=plan, user=org.rep_a, estimate="-5", reachability=9, priority="luck"
        )
    assert set(exc.value.message_dict) == {"estimate", "reachability", "priority"}
    with pytest.raises(ValidationError) as exc:
        survey.survey_answer(
            plan=plan, user=org.rep_a, estimate="abc", reachability=3, priority="other"
        )
    assert set(exc.value.message_dict) == {"estimate"}
    assert not SurveyParticipation.objects.exists() and not SurveyResponse.objects.exists()


def test_who_answers(org):
    plan = make_plan(org.east)
    for user in (org.admin, org.finance, org.cs):  # roles without a survey level
        with pytest.raises(PermissionDenied):
            answer(plan, user, "1")
    with pytest.raises(PermissionDenied):  # South does not see East's plan
        answer(plan, org.rep_d, "1")
    answer(plan, org.rep_c, "1")  # Shanghai is inside East


# --- anonymity --------------------------------------------------------------------------


def _columns(model) -> set[str]:
    with connection.cursor() as cursor:
        description = connection.introspection.get_table_description(cursor, model._meta.db_table)
    return {column.name for column in description}


def test_the_answer_table_has_no_user_and_no_time():
    columns = _columns(SurveyResponse)
    assert columns == {
        "id",
        "survey_id",
        "level",
        "team_id",
        "estimate",
        "reachability",
        "priority",
    }
    assert not any("user" in c or "_at" in c or "date" in c or "time" in c for c in columns)
    # and no audit trail that would record who wrote it, or when
    assert not hasattr(SurveyResponse, "history")
    assert _columns(SurveyParticipation) == {"id", "survey_id", "user_id"}


def test_answering_does_not_touch_the_survey_row(org):
    plan = make_plan(org.east)
    before = survey.survey_for(plan).updated_at
    answer(plan, org.rep_a, "100")
    assert Survey.objects.get(plan=plan).updated_at == before


# --- results ----------------------------------------------------------------------------


@pytest.fixture
def answered(org):
    """East: 3 managers (900, 1000, 1100 → 1000) and 3 reps (1200 each), target 2500
    (rep_a 1000 + rep_b 1000 + rep_c 500 in Shanghai). Shanghai: 2 reps (hidden).
    South: no targets; 3 managers at 100, 3 reps at 150."""
    plan = make_plan(org.company)
    allocate(plan, org.rep_a, "1000")
    allocate(plan, org.rep_b, "1000")
    allocate(plan, org.rep_c, "500")
    answers(plan, org.east, Role.MANAGER, ["900", "1000", "1100"])
    answer(plan, org.rep_a, "1200", priority="key_accounts")
    answer(plan, org.rep_b, "1200", priority="key_accounts")
    answers(plan, org.east, Role.REP, ["1200"], priority="renewals")
    answer(plan, org.rep_c, "777777")
    answers(plan, org.shanghai, Role.REP, ["888888"])
    answers(plan, org.south, Role.MANAGER, ["100"] * 3)
    answers(plan, org.south, Role.REP, ["150"] * 3)
    return plan


def _team(results, team_):
    return next(t for t in results.teams if t.team.pk == team_.pk)


def test_results_by_team_and_level(org, answered):
    results = survey.survey_results(org.admin, answered)
    east = _team(results, org.east)
    manager, rep = east.groups
    assert (manager.level, manager.n, manager.mean_estimate) == ("manager", 3, D("1000.00"))
    assert (rep.level, rep.n, rep.mean_estimate) == ("rep", 3, D("1200.00"))
    assert rep.mean_reachability == D("3.00")
    assert rep.priorities["key_accounts"] == 2 and rep.priorities["renewals"] == 1
    # |1000 - 1200| / 2500
    assert (east.target, east.target_source) == (D("2500.00"), "allocations")
    assert (east.deviation, east.consensus) == (D("0.0800"), D("0.9200"))
    # South has no targets: the mean of the estimates (125); |100 - 150| / 125
    south = _team(results, org.south)
    assert (south.target, south.target_source) == (D("125.00"), "estimates")
    assert (south.deviation, south.consensus) == (D("0.4000"), D("0.6000"))
    assert south.attainment is None


def test_groups_under_the_smallest_size_show_nothing(org, answered):
    results = survey.survey_results(org.director, answered)
    shanghai = _team(results, org.shanghai)
    (group,) = shanghai.groups
    assert group.shown is False
    assert (group.n, group.mean_estimate, group.mean_reachability, group.priorities) == (
        None,
        None,
        None,
        {},
    )
    assert shanghai.deviation is None


def test_the_smallest_group_is_a_setting(org, answered):
    TargetPolicy.current()
    TargetPolicy.objects.update(survey_min_group=4)
    results = survey.survey_results(org.director, answered)
    assert all(not g.shown for t in results.teams for g in t.groups)
    assert results.min_group == 4


def test_who_sees_which_results(org, answered):
    for user in (org.admin, org.director):
        teams = {t.team.pk for t in survey.survey_results(user, answered).teams}
        assert teams == {org.east.pk, org.shanghai.pk, org.south.pk}
    teams = {t.team.pk for t in survey.survey_results(org.manager_east, answered).teams}
    assert teams == {org.east.pk, org.shanghai.pk}
    teams = {t.team.pk for t in survey.survey_results(org.manager_sh, answered).teams}
    assert teams == {org.shanghai.pk}
    for user in (org.rep_a, org.finance, org.cs):
        assert survey.survey_results(user, answered) is None


def test_correlation_needs_five_teams_then_is_pearsons_r(org):
    """Five teams, target 1000 each (one rep), managers and reps 3 each; deviations 0.1 …
    0.5 → consensus 0.9 … 0.5; signed contracts 900, 700, 800, 400, 500 → attainment.
    c̄ = 0.7, ā = 0.66; Σdcda = 0.11, Σdc² = 0.1, Σda² = 0.172 → r = 0.11 / √0.0172."""
    plan = make_plan(org.company, measure="contracts")
    achieved = ["900", "700", "800", "400", "500"]
    for i, amount in enumerate(achieved):
        group = team(f"Group {i}", parent=org.company)
        rep = person(Role.REP, group)
        allocate(plan, rep, "1000")
        make_contract(owner=rep, amount=D(amount), signed_on=dt.date(2026, 3, 2))
        answers(plan, group, Role.MANAGER, ["1000"] * 3)
        answers(plan, group, Role.REP, [str(1000 + 100 * (i + 1))] * 3)
        results = survey.survey_results(org.director, plan)
        if i < 4:
            assert (results.n, results.r, results.correlation_ready) == (i + 1, None, False)
    # By name: the teams come in path order, and "/1/10/" sorts before "/1/9/".
    by_name = sorted(results.teams, key=lambda t: t.team.name)
    consensus = [t.consensus for t in by_name]
    attainment = [t.attainment for t in by_name]
    assert consensus == [D("0.9000"), D("0.8000"), D("0.7000"), D("0.6000"), D("0.5000")]
    assert attainment == [D("0.9000"), D("0.7000"), D("0.8000"), D("0.4000"), D("0.5000")]
    assert results.n == 5
    assert results.r == (D("0.11") / D("0.0172").sqrt()).quantize(D("0.0001")) == D("0.8387")


def test_answers_are_rewritten_in_a_random_order(org, monkeypatch):
    """Storage order must not pair an answer with the participation written beside it:
    every answer rewrites the survey's answers in a shuffled order (here: reversed)."""
    if connection.vendor != "sqlite":
        pytest.skip("reads SQLite's rowid")
    monkeypatch.setattr(survey._random, "shuffle", lambda rows: rows.reverse())
    plan = make_plan(org.east)
    for user, estimate in ((org.rep_a, "1"), (org.rep_b, "2"), (org.manager_east, "3")):
        answer(plan, user, estimate)
    with connection.cursor() as cursor:
        cursor.execute("SELECT estimate FROM targets_surveyresponse ORDER BY rowid")
        stored = [D(str(row[0])) for row in cursor.fetchall()]
    # written 1; then [1, 2] reversed; then [2, 1, 3] reversed
    assert stored == [D(3), D(1), D(2)]
    assert sorted(SurveyResponse.objects.values_list("estimate", flat=True)) == [D(1), D(2), D(3)]
