"""A diagnosis run's statement count does not grow with the reps it measures (the
benchmark's 200 reps: bench/outcomes.py). Each rep brings what every check reads — a
lead, a checked-in activity, a forward stage move, a qualified deal, an allocation of
the year's plan, a survey answer, a forecast snapshot row — and the team has a KPI
scheme of its own, so the per-rep reads (scheme per rep, health per allocation) would
show."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from salesops.activities.tests.factories import ActivityFactory, ResultTagFactory
from salesops.diagnosis import services
from salesops.diagnosis.scope import team_scope
from salesops.kpi.tests.factories import make_scheme
from salesops.leads.models import Lead, SlaState
from salesops.leads.tests.factories import LeadFactory
from salesops.org.models import Role
from salesops.org.tests.factories import UserFactory, team
from salesops.pipeline import stages
from salesops.pipeline.tests.factories import make_deal, stage
from salesops.reports import forecast_snapshots
from salesops.targets.tests.factories_health import allocate, make_plan, pipeline
from salesops.targets.tests.factories_survey import answers

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2026, 9, 15, 10), timezone.get_default_timezone())


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


def add_reps(group, plan, tag, n: int) -> None:
    for _ in range(n):
        rep = UserFactory(role=Role.REP, team=group)
        lead = LeadFactory(owner=rep)
        Lead.objects.filter(pk=lead.pk).update(sla_state=SlaState.MET, assigned_at=NOW)
        ActivityFactory(owner=rep, tag=tag)
        stages.request_stage_change(actor=rep, deal=make_deal(owner=rep), to_stage=stage("needs"))
        pipeline(rep, "500000")
        allocate(plan, rep, "300000.00")
    answers(plan, group, Role.REP, ["300000"] * n)
    forecast_snapshots.take_snapshot(on=NOW.date())


def statements(scope) -> int:
    with CaptureQueriesContext(connection) as captured:
        run = services.run_now(scope=scope)
    assert run.state == "done", run.error
    return len(captured.captured_queries)


def test_a_runs_statements_do_not_grow_with_the_reps(org):
    group = team("Growth", parent=org.company)
    make_scheme(name="Growth scheme", team=group, process_weight=30, quality_weight=10)
    plan = make_plan(org.company)
    tag = ResultTagFactory()
    add_reps(group, plan, tag, 3)
    services.run_now(scope=team_scope(group))  # the first run fills the settings' caches
    with_three = statements(team_scope(group))

    add_reps(group, plan, tag, 9)
    with_twelve = statements(team_scope(group))

    run = services.run_now(scope=team_scope(group))
    measured = {r["code"]: r for r in run.results}
    # the reps were measured: every check that reads them has a value
    # 12 reps and the 12 who answered the survey (``answers`` makes its respondents)
    assert measured["kpi_process_share"]["denominator"] == "24"
    assert measured["target_coverage"]["value"] is not None
    assert measured["stage_evidence"]["denominator"] == "12"
    assert with_twelve == with_three
