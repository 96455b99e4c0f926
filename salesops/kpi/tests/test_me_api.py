"""The self-service API (K3–K5): scores by visibility (the shared matrix), rankings,
comparison, radar and the records behind a value; bad input is a 422 naming the field."""

import pytest
import time_machine

from salesops.core.tests.visibility_matrix import ROLES, SEES
from salesops.kpi.models import KpiPolicy, MetricValue, RankingVisibility

from .factories_me import NOW, scored_month

pytestmark = pytest.mark.django_db
API = "/api/v1"
REPS = ("rep_a", "rep_b", "rep_c", "rep_d")


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def month(org):
    return scored_month(org)


def api(client, user, path, **query):
    client.force_login(user)
    return client.get(API + path, query)


def value_of(user, code):
    return next(
        v
        for v in MetricValue.objects.filter(user=user).select_related("item")
        if v.item.metric_definition["code"] == code
    )


def test_my_score(client, org, month):
    body = api(client, org.rep_b, "/kpi/me/score", period="2026-07").json()
    assert body["score"] == "52.50" and body["state"] == "live"
    assert (body["rank_team"], body["team_size"], body["rank_org"], body["org_size"]) == (
        2,
        2,
        2,
        4,
    )
    calls = next(m for m in body["metrics"] if m["code"] == "calls")
    assert calls["actual"] == "2.0000" and calls["gap"] == "2.0000"
    assert calls["target_score"] == "100.00"
    assert calls["records_url"] == f"{API}/kpi/values/{calls['value_id']}/records"


@pytest.mark.parametrize("role", ROLES)
def test_rep_score_visibility_matrix(client, org, month, role):
    for rep in REPS:
        response = api(client, getattr(org, role), f"/kpi/reps/{getattr(org, rep).pk}/score")
        expected = 200 if rep in SEES[role] else 404
        assert response.status_code == expected, (role, rep)
        if expected == 404:
            assert response.json()["code"] == "not_found"


def test_bad_period_is_a_422_naming_period(client, org, month):
    for path in ("/kpi/me/score", "/kpi/me/comparison", "/kpi/rankings", "/kpi/me/radar"):
        response = api(client, org.rep_a, path, period="2026/07")
        assert response.status_code == 422, path
        body = response.json()
        assert body["field"] == "period" and "YYYY-MM" in body["message"]


def test_rankings_names_and_ties(client, org, month):
    body = api(client, org.director, "/kpi/rankings", scope="org").json()
    assert [(r["name"], r["rank"]) for r in body["results"]] == [
        ("Rep A", 1),
        ("Rep B", 2),
        ("Rep C", 2),
        ("Rep D", 4),
    ]
    policy = KpiPolicy.current()
    policy.ranking_visibility = RankingVisibility.RANK_ONLY
    policy.save()
    mine = api(client, org.rep_c, "/kpi/rankings", scope="org").json()
    assert [r["name"] for r in mine["results"]] == ["Rep C"]
    assert mine["total"] == 4 and mine["my_rank"] == 2 and mine["names"] is False
    bad = api(client, org.rep_c, "/kpi/rankings", scope="galaxy")
    assert bad.status_code == 422 and bad.json()["field"] == "scope"
    page = api(client, org.director, "/kpi/rankings", scope="org", page_size=0)
    assert page.status_code == 422 and page.json()["field"] == "page_size"


def test_records_behind_a_value(client, org, month):
    calls = value_of(org.rep_a, "calls")
    body = api(client, org.rep_a, f"/kpi/values/{calls.pk}/records").json()
    assert body["count"] == 4 and body["actual"] == "4.0000" and not body["derived"]
    assert all(r["url"] for r in body["results"])
    assert api(client, org.rep_b, f"/kpi/values/{calls.pk}/records").status_code == 404
    assert api(client, org.rep_a, "/kpi/values/999999/records").status_code == 404
    share = value_of(org.rep_a, "call_share")
    derived = api(client, org.rep_a, f"/kpi/values/{share.pk}/records").json()
    assert derived["derived"] and {c["code"] for c in derived["components"]} == {"calls", "visits"}
    part = api(client, org.rep_a, f"/kpi/values/{share.pk}/records", component="visits").json()
    assert part["count"] == 2
    missing = api(client, org.rep_a, f"/kpi/values/{share.pk}/records", component="nps")
    assert missing.status_code == 404


def test_comparison_and_radar(client, org, month):
    policy = KpiPolicy.current()
    policy.comparison_metrics = ["calls"]
    policy.save()
    body = api(client, org.rep_b, "/kpi/me/comparison").json()
    assert body["metrics"][0]["me"] == "2.0000" and body["metrics"][0]["top3"] == "4.0000"
    assert [t["user_id"] for t in body["top3"]] == [org.rep_a.pk]
    radar = api(client, org.rep_a, "/kpi/me/radar", period="2026-08").json()
    assert radar["current"]["start"] == "2026-07-01" and radar["previous"]["end"] == "2026-06-30"
    assert {a["code"] for a in radar["current"]["axes"]} >= {"customer_depth"}


def test_anonymous_is_401(client, month):
    assert client.get(API + "/kpi/me/score").status_code == 401
