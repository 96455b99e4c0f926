"""The plans API: list and create, get with calibration, scenarios and the vote as far as
the caller may see it; 422 naming the field, 403, 404 and 409."""

import pytest

from salesops.core.tests.visibility_matrix import api_client
from salesops.targets import services
from salesops.targets.tests.factories import make_plan

from .plan_states import calibrated, decomposed

pytestmark = pytest.mark.django_db
API = "/api/v1/targets/plans"


def send(client, method, url, data=None):
    return getattr(client, method)(API + url, data=data or {}, content_type="application/json")


def field_of(response, status=422):
    assert response.status_code == status, response.content
    return response.json()["field"]


def test_create_list_get(org):
    admin = api_client(org.admin)
    response = send(
        admin, "post", "", {"name": "2026 华东", "fiscal_year": 2026, "team_id": org.east.pk}
    )
    assert response.status_code == 201, response.content
    plan_id = response.json()["id"]
    assert response.json()["state"] == "draft"
    assert field_of(send(admin, "post", "", {"name": "", "fiscal_year": 1990, "team_id": 0}))
    body = api_client(org.rep_a).get(API).json()
    assert [row["id"] for row in body["results"]] == [plan_id]
    assert api_client(org.rep_d).get(API).json()["count"] == 0  # South does not see East
    detail = api_client(org.rep_a).get(f"{API}/{plan_id}").json()
    assert [s["code"] for s in detail["scenarios"]] == ["aggressive", "steady", "conservative"]
    assert detail["calibration"]["formula"]
    assert detail["vote"]["counts"] is None and detail["vote"]["can_vote"] is True
    assert api_client(org.manager_east).get(f"{API}/{plan_id}").json()["vote"]["counts"]
    assert api_client(org.rep_d).get(f"{API}/{plan_id}").status_code == 404
    assert api_client(org.cs).get(API).status_code == 403
    response = send(
        api_client(org.rep_a),
        "post",
        "",
        {"name": "x", "fiscal_year": 2027, "team_id": org.east.pk},
    )
    assert response.status_code == 403


def test_calibration_and_scenarios(org):
    plan = make_plan(org.admin, team=org.east)
    admin = api_client(org.admin)
    url = f"/{plan.pk}/calibration"
    assert field_of(send(admin, "put", url, {"formula": "historical + nope"})) == "formula"
    assert field_of(send(admin, "put", url, {"seasonal_index": [1, 2]})) == "seasonal_index"
    assert field_of(send(admin, "put", url, {"bidding_index": "-1"})) == "bidding_index"
    bad_month = {"seasonal_index": ["1"] * 11 + ["abc"]}
    assert field_of(send(admin, "put", url, bad_month)) == "seasonal_index"
    assert send(api_client(org.rep_a), "put", url, {"top_n": 2}).status_code == 403
    response = send(admin, "put", url, {"top_n": 2, "bidding_index": "1.1"})
    assert response.status_code == 200, response.content
    assert response.json()["top_n"] == 2
    assert send(admin, "post", url + "/compute").status_code == 200
    response = send(admin, "post", f"/{plan.pk}/scenarios/compute")
    assert response.status_code == 200 and len(response.json()) == 3
    new = {"code": "bold", "name_zh": "大胆", "name_en": "Bold", "formula": "pool * x"}
    assert field_of(send(admin, "post", f"/{plan.pk}/scenarios", new)) == "formula"
    new["formula"] = "pool * 1.5"
    response = send(admin, "post", f"/{plan.pk}/scenarios", new)
    assert response.status_code == 201, response.content
    scenario_id = response.json()["id"]
    response = send(admin, "patch", f"/{plan.pk}/scenarios/{scenario_id}", {"name_en": "Bolder"})
    assert response.json()["name_en"] == "Bolder"
    assert send(admin, "delete", f"/{plan.pk}/scenarios/{scenario_id}").status_code == 204
    assert send(admin, "delete", f"/{plan.pk}/scenarios/{scenario_id}").status_code == 404


def test_vote_confirm_and_409(org):
    plan = calibrated(make_plan(org.admin, team=org.east))
    services.scenarios_compute(plan=plan, actor=org.admin)
    steady = plan.scenarios.get(code="steady")
    rep = api_client(org.rep_a)
    response = send(rep, "put", f"/{plan.pk}/vote", {"scenario_id": steady.pk})
    assert response.status_code == 200, response.content
    assert response.json()["my_scenario_id"] == steady.pk
    assert field_of(send(rep, "put", f"/{plan.pk}/vote", {"scenario_id": 0})) == "scenario"
    assert send(rep, "post", f"/{plan.pk}/vote/close").status_code == 403
    admin = api_client(org.admin)
    assert send(admin, "post", f"/{plan.pk}/vote/close").status_code == 200
    response = send(rep, "put", f"/{plan.pk}/vote", {"scenario_id": steady.pk})
    assert field_of(response, 409) == "scenario"
    assert response.json()["code"] == "conflict"
    counts = rep.get(f"{API}/{plan.pk}").json()["vote"]["counts"]  # shown once closed
    assert counts[str(steady.pk)] == 1
    confirm = {"scenario_id": steady.pk}
    assert send(admin, "post", f"/{plan.pk}/confirm", confirm).status_code == 403
    response = send(api_client(org.director), "post", f"/{plan.pk}/confirm", confirm)
    assert response.status_code == 200 and response.json()["state"] == "scenario_chosen"


def test_publish_and_adjustments(org):
    plan = make_plan(org.admin, team=org.east)
    admin, director = api_client(org.admin), api_client(org.director)
    assert field_of(send(admin, "post", f"/{plan.pk}/publish")) == "allocations"
    decomposed(plan, {org.rep_a: "100000.00", org.rep_b: "150000.00", org.rep_c: "50000.00"})
    assert send(admin, "post", f"/{plan.pk}/publish").json()["state"] == "published"
    assert field_of(send(admin, "post", f"/{plan.pk}/publish"), 409) == "state"
    assert field_of(send(admin, "put", f"/{plan.pk}/calibration", {"top_n": 2})) == "state"
    manager = api_client(org.manager_sh)
    url = f"/{plan.pk}/adjustments"
    bad = send(manager, "post", url, {"changes": {str(org.rep_c.pk): "60000"}, "reason": " "})
    assert field_of(bad) == "reason"
    forbidden = send(manager, "post", url, {"changes": {str(org.rep_a.pk): "1"}, "reason": "x"})
    assert forbidden.status_code == 403  # rep_a is East's, not Shanghai's
    response = send(
        manager, "post", url, {"changes": {str(org.rep_c.pk): "60000"}, "reason": "新客户"}
    )
    assert response.status_code == 201, response.content
    adjustment_id = response.json()["id"]
    assert api_client(org.rep_a).get(API + url).json()[0]["changes"] == {}  # not rep_a's
    assert send(manager, "post", f"{url}/{adjustment_id}/approve").status_code == 403
    response = send(director, "post", f"{url}/{adjustment_id}/approve", {"note": "ok"})
    assert response.status_code == 200 and response.json()["to_version"] == 2
    assert field_of(send(director, "post", f"{url}/{adjustment_id}/reject"), 409) == "state"
    detail = admin.get(f"{API}/{plan.pk}").json()
    assert detail["version"] == 2 and detail["pool"] == "310000.00"
    assert send(api_client(org.rep_d), "get", url).status_code == 404
