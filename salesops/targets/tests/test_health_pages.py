"""The target-health dashboard, its export and taking a snapshot by hand (issue 16 item 5):
who sees which teams and reps, the figures as shown, the chart data and definitions."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from salesops.targets.models import HealthSnapshot, PlanState

from .factories_health import make_plan, standard_plan

pytestmark = pytest.mark.django_db
NOW = timezone.make_aware(dt.datetime(2026, 7, 15, 10, 0), timezone.get_default_timezone())


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def plan(org):
    return standard_plan(org)


def page(client, user, plan, **query):
    client.force_login(user)
    return client.get(reverse("targets:health", args=[plan.pk]), query)


def team_names(response):
    return [row.team.name for row in response.context["rows"]]


def rep_names(response):
    return [row.rep.label for row in response.context["page_obj"]]


def test_director_sees_every_team_with_figures_chart_and_definitions(client, org, plan):
    response = page(client, org.director, plan)
    assert response.status_code == 200
    assert team_names(response) == ["Company", "East", "Shanghai", "South"]
    assert rep_names(response) == ["Rep A", "Rep B", "Rep C", "Rep D"]  # own team: Company
    html = response.content.decode()
    assert "¥3,600,000.00" in html and "¥1,400,000.00" in html  # company target and gap
    assert 'data-testid="definitions"' in html and "target reached" in html
    chart = response.context["chart"]
    assert chart["coverage"] == [1.99, 1.85, 1.9, None] and chart["red"] == 1.8
    assert 'id="health-coverage-chart-data"' in html and "targets/health.js" in html
    assert response.context["red_count"] == 0
    # drilling into South lists its reps only
    south = page(client, org.director, plan, team=org.south.pk)
    assert rep_names(south) == ["Rep D"]


def test_manager_sees_their_subtree_only(client, org, plan):
    response = page(client, org.manager_east, plan)
    assert team_names(response) == ["East", "Shanghai"]
    assert rep_names(response) == ["Rep A", "Rep B", "Rep C"]
    assert page(client, org.manager_east, plan, team=org.south.pk).status_code == 404
    assert page(client, org.manager_east, plan, team="x").status_code == 404
    sh = page(client, org.manager_sh, plan)
    assert team_names(sh) == ["Shanghai"] and rep_names(sh) == ["Rep C"]


def test_rep_sees_own_row_and_their_team_row(client, org, plan):
    response = page(client, org.rep_a, plan)
    assert team_names(response) == ["East"]
    assert rep_names(response) == ["Rep A"]
    assert "Rep B" not in response.content.decode()


def test_finance_sees_all_and_customer_success_nothing(client, org, plan):
    assert len(team_names(page(client, org.finance, plan))) == 4
    assert page(client, org.cs, plan).status_code == 404


def test_a_draft_plan_says_health_comes_later(client, org):
    draft = make_plan(org.company, state=PlanState.DRAFT)
    response = page(client, org.director, draft)
    assert response.status_code == 200 and not response.context["available"]
    assert 'data-testid="health-unavailable"' in response.content.decode()


def test_snapshot_by_hand_history_and_export(client, org, plan):
    client.force_login(org.manager_east)
    url = reverse("targets:health_snapshot", args=[plan.pk])
    assert client.post(url, {"month": ""}).status_code == 403
    client.force_login(org.admin)
    response = client.post(url, {"month": "2026-06-01"})
    assert response.status_code == 302
    client.post(url, {"month": ""})
    assert set(HealthSnapshot.objects.values_list("month", flat=True)) == {
        dt.date(2026, 6, 1),
        dt.date(2026, 7, 1),
    }
    assert HealthSnapshot.objects.count() == 16  # (4 teams + 4 reps) × 2 months
    history = page(client, org.director, plan).context["trend"]
    assert [m.month for m in history["months"]] == [6, 7]
    assert [s["name"] for s in history["chart"]["series"]] == ["Company", "East", "South"]
    # export: Excel for the director, and a rep's CSV holds their own rows and their team's
    client.force_login(org.director)
    export = reverse("targets:health_export", args=[plan.pk])
    xlsx = client.get(export)
    assert xlsx.status_code == 200 and xlsx["Content-Disposition"].endswith('.xlsx"')
    client.force_login(org.rep_a)
    text = b"".join(client.get(export, {"format": "csv"}).streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["Month", "Team", "Rep"]
    assert {(r[1], r[2]) for r in rows[1:]} == {("East", ""), ("East", "Rep A")}
