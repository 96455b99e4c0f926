"""The target-health API (issue 16 item 8): figures, snapshots, taking one, awards; 404 for
an invisible plan, 403 for a non-configurer, 409 for a plan without health, 422 naming
the field."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from salesops.targets import snapshots
from salesops.targets.models import PlanState

from .factories_health import make_plan, standard_plan
from .test_award import quarter

pytestmark = pytest.mark.django_db
NOW = timezone.make_aware(dt.datetime(2026, 7, 15, 10, 0), timezone.get_default_timezone())


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def plan(org):
    return standard_plan(org)


def get(client, user, url, **query):
    client.force_login(user)
    return client.get(f"/api/v1{url}", query)


def post(client, user, url, body):
    client.force_login(user)
    return client.post(f"/api/v1{url}", body, content_type="application/json")


def test_health_for_director_and_rep(client, org, plan):
    response = get(client, org.director, f"/targets/plans/{plan.pk}/health")
    assert response.status_code == 200
    body = response.json()
    assert body["month"] == "2026-07-01" and body["thresholds"]["coverage_red"] == "1.80"
    assert [t["team"] for t in body["teams"]] == ["Company", "East", "Shanghai", "South"]
    east = body["teams"][1]
    assert east["figures"]["coverage"] == "1.85" and east["figures"]["status"] == "amber"
    assert east["reps"] == 3
    assert body["teams"][3]["figures"]["coverage"] is None
    assert len(body["reps"]) == 4
    mine = get(client, org.rep_b, f"/targets/plans/{plan.pk}/health").json()
    assert [t["team"] for t in mine["teams"]] == ["East"]
    assert [r["rep"] for r in mine["reps"]] == ["Rep B"]
    assert mine["reps"][0]["figures"]["status"] == "red"


def test_invisible_plan_is_404_and_draft_409(client, org):
    south = make_plan(org.south)
    assert get(client, org.rep_a, f"/targets/plans/{south.pk}/health").status_code == 404
    assert get(client, org.cs, f"/targets/plans/{south.pk}/snapshots").status_code == 404
    draft = make_plan(org.east, state=PlanState.DRAFT)
    response = get(client, org.director, f"/targets/plans/{draft.pk}/health")
    assert response.status_code == 409 and response.json()["code"] == "conflict"


def test_take_and_list_snapshots(client, org, plan):
    url = f"/targets/plans/{plan.pk}/snapshots"
    assert post(client, org.manager_east, url, {}).status_code == 403
    response = post(client, org.admin, url, {"month": "2026-05-20"})
    assert response.status_code == 201
    assert response.json() == {"month": "2026-05-01", "teams": 4, "reps": 4}
    bad = post(client, org.admin, url, {"month": "2027-02-01"})
    assert bad.status_code == 422 and bad.json()["field"] == "month"
    assert post(client, org.admin, url, {"month": "May"}).status_code == 422
    listed = get(client, org.manager_sh, url).json()
    assert listed["count"] == 2  # the Shanghai row and Rep C's
    teams_only = get(client, org.director, url, reps="false", month="2026-05-09").json()
    assert teams_only["count"] == 4
    assert {r["rep_id"] for r in teams_only["results"]} == {None}


def test_awards(client, org, plan):
    quarter(plan, org.south, ["2.10", "2.30", "1.60"])
    quarter(plan, org.east, ["2.10", "2.30", "1.60"])
    snapshots.evaluate_awards(plan, 3)
    body = get(client, org.director, f"/targets/plans/{plan.pk}/awards").json()
    assert [(a["team"], a["quarter"], a["percent"]) for a in body] == [
        ("East", 3, "15.00"),
        ("South", 3, "15.00"),
    ]
    assert len(body[0]["snapshot_ids"]) == 3 and body[0]["explanation"]["earned"] is True
    assert [
        a["team"] for a in get(client, org.manager_south, f"/targets/plans/{plan.pk}/awards").json()
    ] == ["South"]
