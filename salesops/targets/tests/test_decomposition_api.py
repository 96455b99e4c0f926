"""The decomposition API: visible allocations only, decompose (403/404/409), adjust (422
naming the field) and /targets/me."""

import pytest
import time_machine

from salesops.core.tests.visibility_matrix import api_client
from salesops.targets import decomposition
from salesops.targets.models import PlanState

from .factories_decomposition import NOW, build_dataset, make_plan

pytestmark = pytest.mark.django_db
API = "/api/v1/targets"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def plan(org):
    build_dataset(org)
    plan = make_plan(org.company, pool="1000.00")
    decomposition.decompose(plan=plan, actor=org.admin)
    plan.refresh_from_db()
    return plan


def put(client, url, data):
    return client.put(url, data=data, content_type="application/json")


def fields(response) -> set:
    assert response.status_code == 422, response.content
    return {e["field"] for e in response.json()["errors"]}


def test_allocations_are_the_visible_ones(org, plan):
    body = api_client(org.rep_a).get(f"{API}/plans/{plan.pk}/allocations").json()
    assert [r["rep_id"] for r in body["allocations"]] == [org.rep_a.pk]
    assert body["allocations"][0]["amount"] == "256.41"
    assert body["allocations"][0]["quadrant_label"] == "Key support"
    assert len(body["allocations"][0]["monthly"]) == 12
    assert body["team_totals"] == [{"team_id": org.east.pk, "team": "East", "total": "538.46"}]
    body = api_client(org.director).get(f"{API}/plans/{plan.pk}/allocations").json()
    assert len(body["allocations"]) == 4 and body["pool"] == "1000.00"
    east_plan = make_plan(org.east, name="East only")
    assert api_client(org.rep_d).get(f"{API}/plans/{east_plan.pk}/allocations").status_code == 404
    assert api_client(org.director).get(f"{API}/plans/999999/allocations").status_code == 404


def test_decompose_errors(org):
    plan = make_plan(org.company, state=PlanState.CALIBRATED)
    url = f"{API}/plans/{plan.pk}/decompose"
    assert api_client(org.rep_a).post(url).status_code == 403
    response = api_client(org.admin).post(url)
    assert response.status_code == 409 and response.json()["field"] == "state"
    plan.state = PlanState.SCENARIO_CHOSEN
    plan.save()
    body = api_client(org.admin).post(url).json()
    assert body["state"] == "decomposed" and len(body["allocations"]) == 4
    assert sum(float(r["amount"]) for r in body["allocations"]) == pytest.approx(1000)


def test_adjust(org, plan):
    url = f"{API}/plans/{plan.pk}/allocations"
    client = api_client(org.manager_east)
    a, b = str(org.rep_a.pk), str(org.rep_b.pk)
    assert fields(put(client, url, {"amounts": {a: "abc"}, "reason": "x"})) == {f"amounts.{a}"}
    assert fields(put(client, url, {"amounts": {a: "266.41"}, "reason": "x"})) == {"amounts"}
    assert fields(put(client, url, {"amounts": {a: "1e30"}, "reason": "x"})) == {"amounts"}
    assert fields(put(client, url, {"amounts": {a: "266.41", b: "272.05"}})) == {"reason"}
    response = put(client, url, {"amounts": {a: "266.41", b: "272.05"}, "reason": "x"})
    assert response.status_code == 200
    rows = {r["rep_id"]: r for r in response.json()["allocations"]}
    assert rows[org.rep_a.pk]["amount"] == "266.41" and rows[org.rep_a.pk]["adjusted"]
    south = api_client(org.manager_south)
    # Naming another manager's rep is refused even with the amount unchanged (no probing).
    assert put(south, url, {"amounts": {a: "266.41"}, "reason": "x"}).status_code == 403
    response = put(
        south, url, {"amounts": {a: "256.41", str(org.rep_d.pk): "292.05"}, "reason": "x"}
    )
    assert response.status_code == 403
    plan.state = PlanState.PUBLISHED
    plan.save()
    response = put(client, url, {"amounts": {a: "256.41", b: "282.05"}, "reason": "x"})
    assert response.status_code == 409


def test_me(org, plan):
    assert api_client(org.rep_a).get(f"{API}/me").json() == []
    plan.state = PlanState.PUBLISHED
    plan.save()
    body = api_client(org.rep_a).get(f"{API}/me").json()
    assert len(body) == 1
    me = body[0]
    assert me["amount"] == "256.41" and me["team_total"] == "538.46"
    assert me["median_deal"] == "200.00" and me["team_median_deal"] == "350.00"
    assert me["team_median_win_rate"] == "0.3750" and me["medians_scope"] == "team"
    assert len(me["months"]) == 12 and me["months"][0]["month"] == "2026-01"
    assert sum(float(q) for q in me["quarters"]) == pytest.approx(256.41)
    assert "Key support" in me["why"]
