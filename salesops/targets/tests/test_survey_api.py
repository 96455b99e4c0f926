"""The survey over the API: answer once (409 after), 422 naming the field, 403/404 for
those who may not, results only for managers, configurers and directors, small groups
without figures."""

import pytest

from salesops.core.tests.visibility_matrix import api_client
from salesops.org.models import Role
from salesops.targets.models import SurveyResponse

from .factories_survey import answers, make_plan

pytestmark = pytest.mark.django_db


def url(plan, tail=""):
    return f"/api/v1/targets/plans/{plan.pk}/survey{tail}"


def post(client, path, data=None):
    return client.post(path, data=data or {}, content_type="application/json")


GOOD = {"estimate": "1200000", "reachability": 4, "priority": "key_accounts"}


def test_answer_once_then_409(org):
    plan = make_plan(org.east)
    client = api_client(org.rep_a)
    body = client.get(url(plan)).json()
    assert (body["can_answer"], body["answered"], body["results"]) == (True, False, None)
    assert {p["code"] for p in body["priorities"]} >= {"new_customers", "other"}
    response = post(client, url(plan), GOOD)
    assert response.status_code == 201, response.content
    assert response.json()["answered"] is True and "id" not in response.json()
    again = post(client, url(plan), GOOD)
    assert again.status_code == 409
    assert again.json()["code"] == "conflict"
    assert "You have answered" in again.json()["message"]
    assert client.get(url(plan)).json()["answered"] is True
    assert SurveyResponse.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({**GOOD, "estimate": "abc"}, "estimate"),
        ({**GOOD, "estimate": "-1"}, "estimate"),
        ({**GOOD, "reachability": 9}, "reachability"),
        ({**GOOD, "priority": "luck"}, "priority"),
    ],
)
def test_bad_input_is_422_naming_the_field(org, data, field):
    plan = make_plan(org.east)
    response = post(api_client(org.rep_a), url(plan), data)
    assert response.status_code == 422, response.content
    assert {e["field"] for e in response.json()["errors"]} == {field}
    assert not SurveyResponse.objects.exists()


def test_who_may_not(org):
    plan = make_plan(org.east)
    assert post(api_client(org.finance), url(plan), GOOD).status_code == 403
    assert post(api_client(org.rep_d), url(plan), GOOD).status_code == 404  # South
    assert api_client(org.rep_d).get(url(plan)).status_code == 404
    assert post(api_client(org.rep_a), url(plan, "/close")).status_code == 403
    assert post(api_client(org.manager_east), url(plan, "/close")).status_code == 403


def test_closing_and_reopening(org):
    plan = make_plan(org.east)
    admin = api_client(org.admin)
    response = post(admin, url(plan, "/close"))
    assert response.status_code == 200 and response.json()["is_open"] is False
    closed = post(api_client(org.rep_a), url(plan), GOOD)
    assert closed.status_code == 409 and "closed" in closed.json()["message"]
    assert post(admin, url(plan, "/open")).json()["is_open"] is True
    assert post(api_client(org.rep_a), url(plan), GOOD).status_code == 201


def test_results_hide_small_groups(org):
    plan = make_plan(org.company)
    answers(plan, org.east, Role.REP, ["100", "200", "300"])
    answers(plan, org.east, Role.MANAGER, ["424242"])
    body = api_client(org.manager_east).get(url(plan)).json()
    (east,) = body["results"]["teams"]
    manager, rep = east["groups"]
    assert (rep["shown"], rep["n"], rep["mean_estimate"]) == (True, 3, "200.00")
    assert manager == {
        "level": "manager",
        "level_label": "Manager",
        "shown": False,
        "n": None,
        "mean_estimate": None,
        "mean_reachability": None,
        "priorities": {},
    }
    assert "424242" not in api_client(org.director).get(url(plan)).content.decode()
    needs = body["results"]
    assert (needs["n"], needs["r"], needs["needed"]) == (0, None, 5)
    assert api_client(org.rep_a).get(url(plan)).json()["results"] is None
