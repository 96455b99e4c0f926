"""The capability-gap alert end to end (K8): the default rule ``kpi-gap-quarterly``, ticked
on the first working day of April and of July, stores each quarter's radar from the reps'
real activities (``radar.store_quarter``) and raises a coaching plan only after the
second quarter in a row below half the team average — never after one."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from salesops.activities.tests.factories import ActivityFactory, ResultTagFactory
from salesops.automation.triggers import nth_workday
from salesops.core import clock
from salesops.customers.tests.factories import make_account
from salesops.kpi import growth_actions
from salesops.kpi.models import CoachingPlan, RadarScore
from salesops.org.models import Role, TeamKind
from salesops.org.tests.factories import UserFactory, team
from salesops.todos.models import Task

from .factories_growth import at

pytestmark = pytest.mark.django_db


def tick(day: dt.date) -> None:
    moment = at(day, "09:00")
    with clock.frozen(moment):
        call_command("tick", "--now", moment.isoformat(), stdout=StringIO())


def touch_accounts(rep, n: int, day: dt.date, tag) -> None:
    """``rep`` touches ``n`` accounts of their own once each on ``day``."""
    for _ in range(n):
        ActivityFactory(
            owner=rep, account=make_account(rep), started_at=at(day), tag=tag,
            duration_seconds=600,
        )  # fmt: skip


def test_the_gap_rule_raises_a_plan_after_two_quarters_below_and_not_after_one(db):
    with clock.frozen(at(dt.date(2026, 1, 5))):
        growth_actions.install_rules("en")
        company = team("Gap Co", kind=TeamKind.COMPANY)
        group = team("Gap Group", parent=company)
        boss = UserFactory(username="gap_boss", role=Role.MANAGER, team=group)
        group.manager = boss
        group.save()
        deep_1, deep_2, shallow = (
            UserFactory(username=f"gap_{n}", role=Role.REP, team=group)
            for n in ("deep_1", "deep_2", "shallow")
        )
        tag = ResultTagFactory(counts_as_contact=True)
    # Q1 and Q2: two reps touch ten accounts each, the third none.
    for day in (dt.date(2026, 2, 10), dt.date(2026, 5, 12)):
        with clock.frozen(at(day)):
            touch_accounts(deep_1, 10, day, tag)
            touch_accounts(deep_2, 10, day, tag)

    tick(nth_workday(2026, 4, 1))  # stores Q1; one quarter below is not enough
    q1 = RadarScore.objects.get(user=shallow, dimension="customer_depth")
    assert q1.period_start == dt.date(2026, 1, 1) and q1.value < q1.team_average / 2
    assert not CoachingPlan.objects.exists()

    tick(nth_workday(2026, 7, 1))  # stores Q2: the second quarter in a row
    (plan,) = CoachingPlan.objects.all()
    assert (plan.user, plan.dimension, plan.period_start) == (
        shallow,
        "customer_depth",
        dt.date(2026, 4, 1),
    )
    assert Task.objects.filter(source=f"kpi.coaching:{plan.pk}", assignee=boss).exists()
    shallow.refresh_from_db()
    assert (shallow.role, shallow.team_id) == (Role.REP, group.pk)  # never a demotion
