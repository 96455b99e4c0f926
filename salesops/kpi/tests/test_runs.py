"""Score runs: versions in force, final runs, replay, ranks, scheme membership."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from salesops.kpi import defaults, runs
from salesops.kpi.models import MetricValue, RepScore, RunState, SchemeVersion, ScoreRun
from salesops.kpi.tests import factories as world
from salesops.kpi.tests.factories import item, make_scheme
from salesops.org.tests.factories import UserFactory, team

pytestmark = pytest.mark.django_db
FEB = (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
MAR = (world.START, world.END)


@pytest.fixture
def w():
    with time_machine.travel(world.NOW, tick=False):
        yield world.build_month()


def test_month_bounds():
    assert runs.month_bounds(dt.date(2026, 2, 14)) == FEB
    assert runs.month_bounds(dt.date(2024, 2, 1)) == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert runs.month_bounds(dt.date(2026, 12, 31))[1] == dt.date(2026, 12, 31)


def test_scheme_for_deepest_team_then_org_default(w):
    org = make_scheme(name="org")
    company = make_scheme(name="company", team=w.company)
    sub = team("Other group", parent=w.company)
    group = make_scheme(name="group", team=w.group)
    other = UserFactory(team=sub)
    nobody = UserFactory(team=None)
    manager = UserFactory(role="manager", team=w.group)
    assert runs.scheme_for(w.a, world.START) == group
    assert runs.scheme_for(other, world.START) == company
    assert runs.scheme_for(nobody, world.START) == org
    assert runs.scheme_for(manager, world.START) is None
    assert set(runs.members(group, world.START)) == {w.a, w.b}
    assert other in runs.members(company, world.START)
    assert w.a not in runs.members(company, world.START)
    assert list(runs.members(org, world.START)) == [nobody]


def test_schemes_in_force_of_many_users_agree_with_scheme_for(w, django_assert_num_queries):
    """The diagnosis reads every rep's scheme at once: the same scheme as ``scheme_for``
    gives each, with its highest version effective on the day, in two queries."""
    from salesops.kpi import selectors

    org = make_scheme(name="org")
    group = make_scheme(name="group", team=w.group, process_weight=30, quality_weight=10)
    later = SchemeVersion.objects.get(scheme=group)
    later.pk, later.number, later.effective_from = None, 2, world.END + dt.timedelta(days=1)
    later.process_weight = 50
    later.save()
    nobody = UserFactory(team=None)
    manager = UserFactory(role="manager", team=w.group)
    users = list(
        type(w.a).objects.filter(pk__in=[w.a.pk, nobody.pk, manager.pk]).select_related("team")
    )
    with django_assert_num_queries(2):
        found = selectors.schemes_in_force(users, world.START)
    assert found[manager.pk] is None
    assert found[nobody.pk][0] == org == runs.scheme_for(nobody, world.START)
    scheme, version = found[w.a.pk]
    assert scheme == group == runs.scheme_for(w.a, world.START)
    assert (version.number, version.process_weight) == (1, 30)  # version 2 starts later


def test_run_period_writes_scores_values_and_ranks(w):
    scheme = make_scheme(team=w.group)
    progress = []
    run = runs.run_period(scheme, *MAR, by=w.admin, progress=progress.append)
    assert run.state == RunState.LIVE and run.reps == 2 and run.progress == 100
    assert progress[-1] == 100 and progress == sorted(progress)
    assert RepScore.objects.filter(run=run).count() == 2
    assert MetricValue.objects.filter(run=run).count() == 6
    a = RepScore.objects.get(run=run, user=w.a)
    assert a.rank_org == 1 and a.rank_team == 1
    value = MetricValue.objects.get(run=run, user=w.a, item__metric__code="signed_amount")
    assert value.actual == Decimal("150000") and value.score == Decimal("120.00")
    assert value.inputs["metric"] == "signed_amount"


def test_a_final_run_refuses_recompute(w):
    scheme = make_scheme(team=w.group)
    run = runs.run_period(scheme, *FEB)
    assert run.state == RunState.FINAL
    with pytest.raises(ValidationError):
        runs.run_period(scheme, *FEB)


def test_version_saved_mid_month_leaves_last_months_final_run(w):
    scheme = make_scheme(team=w.group)
    v1 = scheme.versions.get()
    feb = runs.run_period(scheme, *FEB)
    before = list(RepScore.objects.filter(run=feb).values_list("user_id", "score"))
    v2 = defaults.write_version(
        scheme,
        weights=(100, 0, 0),
        items=[item("visits", "result", 100, target_value=Decimal("1"))],
        effective_from=world.NOW.date(),  # today: counts for the open month
    )
    assert runs.version_in_force(scheme, *MAR) == v2
    assert runs.version_in_force(scheme, *FEB) == v1
    # even a version backdated into February leaves the final February run alone
    v3 = defaults.write_version(
        scheme, weights=(100, 0, 0), items=[item("visits", "result", 100)],
        effective_from=dt.date(2026, 2, 1),
    )  # fmt: skip
    assert runs.version_in_force(scheme, *FEB) == v1
    assert runs.version_in_force(scheme, *MAR) == v3
    assert runs.finalise_due(world.NOW.date()) == []
    feb.refresh_from_db()
    assert feb.version == v1
    assert list(RepScore.objects.filter(run=feb).values_list("user_id", "score")) == before
    march = runs.run_period(scheme, *MAR)
    assert march.version == v3


def test_same_day_version_switches_the_live_run(w):
    scheme = make_scheme(team=w.group)
    run = runs.run_period(scheme, *MAR)
    v2 = defaults.write_version(
        scheme, weights=(100, 0, 0), items=[item("visits", "result", 100, target_value=1)],
        effective_from=world.NOW.date(),
    )  # fmt: skip
    assert runs.refresh_users([w.a.pk], world.NOW.date()) == 1
    run.refresh_from_db()
    assert run.version == v2
    assert RepScore.objects.get(run=run, user=w.a).score == Decimal("100.00")


def test_replay_gives_the_same_numbers(w):
    scheme = make_scheme(team=w.group)
    run = runs.run_period(scheme, *MAR)
    assert runs.replay(run) == []
    RepScore.objects.filter(run=run, user=w.a).update(score=Decimal("1.00"))
    differences = runs.replay(run)
    assert len(differences) == 1 and "score" in differences[0]


def test_replay_uses_the_stored_definitions(w):
    scheme = make_scheme(team=w.group)
    run = runs.run_period(scheme, *MAR)
    from salesops.kpi.models import Metric

    Metric.objects.filter(code="signed_amount").update(filter="", aggregate="count", field="")
    assert runs.replay(run) == []


def test_rank_ties_share_a_place(w):
    scheme = make_scheme(team=w.group)
    run = runs.run_period(scheme, *MAR)
    other = team("Second group", parent=w.company)
    extra = [UserFactory(team=w.group), UserFactory(team=w.group), UserFactory(team=other)]
    RepScore.objects.filter(run=run).delete()
    scores = {w.a: 90, w.b: 80, extra[0]: 80, extra[1]: 70, extra[2]: 85}
    for user, value in scores.items():
        RepScore.objects.create(
            run=run, user=user, team=user.team, score=value, result_score=0, process_score=0,
            quality_score=0,
        )  # fmt: skip
    runs.rank(run)
    got = {r.user_id: (r.rank_org, r.rank_team) for r in RepScore.objects.filter(run=run)}
    assert got == {
        w.a.pk: (1, 1),
        extra[2].pk: (2, 1),
        w.b.pk: (3, 2),
        extra[0].pk: (3, 2),
        extra[1].pk: (5, 4),
    }


def test_finalise_due_recomputes_once_then_final(w):
    scheme = make_scheme(team=w.group)
    run = runs.run_period(scheme, *MAR)
    assert runs.finalise_due(world.END) == []
    done = runs.finalise_due(dt.date(2026, 4, 1))
    assert [r.pk for r in done] == [run.pk]
    run.refresh_from_db()
    assert run.state == RunState.FINAL
    assert runs.finalise_due(dt.date(2026, 4, 2)) == []
    assert ScoreRun.objects.filter(scheme=scheme).count() == 1
