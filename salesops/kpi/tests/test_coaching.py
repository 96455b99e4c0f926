"""The capability gap alert (K8): two quarters below half the team average raise one
coaching plan and two tasks (the manager, customer success); one quarter does not; a
rerun changes nothing; the user's role, team and targets are untouched."""

import datetime as dt

import pytest
from django.urls import reverse

from salesops.customers.tests.factories import make_account
from salesops.kpi import coaching
from salesops.kpi.models import CoachingPlan
from salesops.todos.models import Task

from .factories_growth import radar

pytestmark = pytest.mark.django_db
Q1, Q2 = dt.date(2026, 1, 1), dt.date(2026, 4, 1)
Q2_END = dt.date(2026, 6, 30)


def test_two_quarters_below_raise_a_plan_with_two_tasks(org):
    account = make_account(org.rep_a, success_owner=org.cs)
    assert account.success_owner == org.cs
    radar(org.rep_a, Q1, "30", "70")
    radar(org.rep_a, Q2, "20", "60")
    role, team = org.rep_a.role, org.rep_a.team_id
    (plan,) = coaching.evaluate(Q2, Q2_END)
    assert (plan.user, plan.dimension, plan.period_start) == (org.rep_a, "customer_depth", Q2)
    assert [v["value"] for v in plan.values] == ["30.00", "20.00"]
    tasks = Task.objects.filter(source=f"kpi.coaching:{plan.pk}")
    assert sorted(t.assignee.username for t in tasks) == ["cs", "manager_east"]
    task = tasks.first()
    assert "Coaching plan" in task.title and "20.00 vs team average 60.00" in task.description
    assert coaching.evaluate(Q2, Q2_END) == []  # idempotent
    assert CoachingPlan.objects.count() == 1 and Task.objects.count() == 2
    org.rep_a.refresh_from_db()
    assert (org.rep_a.role, org.rep_a.team_id) == (role, team)


def test_one_quarter_below_or_a_missing_quarter_raise_nothing(org):
    radar(org.rep_a, Q1, "50", "70")  # 71 %: fine
    radar(org.rep_a, Q2, "20", "60")
    radar(org.rep_b, Q2, "10", "60")  # no Q1 row: the run is broken
    assert coaching.evaluate(Q2, Q2_END) == []
    assert not Task.objects.exists()


def test_without_customer_success_only_the_manager_gets_a_task(org):
    radar(org.rep_d, Q1, "10", "50")
    radar(org.rep_d, Q2, "10", "50")
    (plan,) = coaching.evaluate(Q2, Q2_END)
    (task,) = Task.objects.all()
    assert task.assignee == org.manager_south and plan.task == task


def test_the_team_average_is_computed_when_not_stored(org):
    radar(org.rep_a, Q1, "10")
    radar(org.rep_b, Q1, "90")
    radar(org.rep_a, Q2, "10")
    radar(org.rep_b, Q2, "90")
    (plan,) = coaching.evaluate(Q2, Q2_END)  # 10 < 50 % of 50
    assert plan.user == org.rep_a and plan.values[0]["team_average"] == "50.00"


def test_the_plans_page(client, org):
    make_account(org.rep_a, success_owner=org.cs)
    radar(org.rep_a, Q1, "10", "70")
    radar(org.rep_a, Q2, "10", "70")
    coaching.evaluate(Q2, Q2_END)
    url = reverse("kpi:coaching")
    for user, seen in (
        (org.manager_east, True),
        (org.cs, True),
        (org.admin, True),
        (org.manager_south, False),
    ):
        client.force_login(user)
        page = client.get(url)
        assert page.status_code == 200 and (b"coaching-row" in page.content) is seen
    client.force_login(org.rep_a)
    assert client.get(url).status_code == 403
