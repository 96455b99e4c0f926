"""The plans area's API: configurers only (403), 404 for unknown ids, 422 naming the
problem with nothing written (unknown variable, min > max, tranches not adding to 100,
mentor validation); the formula check previews without saving; a manager reads the
mentor pairs of their team."""

from __future__ import annotations

from decimal import Decimal

import pytest

from salesops.core import clock
from salesops.core.tests.visibility_matrix import api_client
from salesops.incentives import mentors
from salesops.incentives.models import BonusPlan, IncentivePolicy, MentorPair, PlanVersion
from salesops.org.tests.factories import build_org

pytestmark = pytest.mark.django_db
API = "/api/v1/incentives"


@pytest.fixture
def org():
    return build_org()


def send(client, method, url, data=None):
    return getattr(client, method)(API + url, data=data or {}, content_type="application/json")


def error(response, status=422) -> dict:
    assert response.status_code == status, response.content
    return response.json()


def components(formula="kpi_score * 10"):
    return [
        {"kind": "deal", "label": "成交奖", "formula": "contract_amount * 0.02"},
        {"kind": "monthly", "label": "月度奖励", "formula": formula},
    ]


def test_permissions(org):
    urls = ["/plans", "/policy"]
    for user in (org.rep_a, org.manager_east, org.finance, org.cs):
        client = api_client(user)
        for url in urls:
            assert client.get(API + url).status_code == 403, (user, url)
        check = {"kind": "monthly", "formula": "1"}
        assert send(client, "post", "/formulas/check", check).status_code == 403
        assert send(client, "post", "/plans", {"name": "x"}).status_code == 403
        assert send(client, "put", "/policy", {"cs_cap": "0.8"}).status_code == 403
    assert api_client(org.rep_a).get(API + "/mentors").status_code == 403
    assert api_client(org.manager_east).get(API + "/mentors").status_code == 200
    for user in (org.admin, org.director):
        client = api_client(user)
        for url in [*urls, "/mentors"]:
            assert client.get(API + url).status_code == 200, (user, url)
    admin = api_client(org.admin)
    assert admin.get(f"{API}/plans/999999").status_code == 404
    assert send(admin, "patch", "/mentors/999999", {"note": "x"}).status_code == 404


def test_plans_and_versions(org):
    admin = api_client(org.admin)
    created = send(admin, "post", "/plans", {"name": "East reps", "team_id": org.east.pk})
    assert created.status_code == 201
    plan_id = created.json()["id"]
    body = error(send(admin, "post", "/plans", {"name": "Again", "team_id": org.east.pk}))
    assert body["field"] == "team"
    assert error(send(admin, "post", "/plans", {"name": "x", "team_id": 999999}))["field"] == (
        "team_id"
    )
    url = f"/plans/{plan_id}/versions"
    today = str(clock.today())
    body = error(
        send(admin, "post", url, {"effective_on": today, "components": components("kpi_scor")})
    )
    assert body["field"] == "components" and "kpi_scor" in body["message"]
    assert "月度奖励" in body["errors"][0]["message"]
    assert not PlanVersion.objects.exists()
    first = send(admin, "post", url, {"effective_on": today, "components": components()})
    assert first.status_code == 201, first.content
    assert first.json()["number"] == 1 and len(first.json()["components"]) == 2
    second = send(
        admin, "post", url, {"effective_on": today, "components": components("kpi_score * 20")}
    )
    assert second.json()["number"] == 2
    assert any("kpi_score * 20" in c for c in second.json()["changes"])
    detail = admin.get(f"{API}/plans/{plan_id}").json()
    assert [v["number"] for v in detail["versions"]] == [2, 1]
    assert detail["versions"][1]["components"][1]["formula"] == "kpi_score * 10"
    listed = admin.get(f"{API}/plans", {"q": "east"}).json()
    assert listed["count"] == 1 and listed["results"][0]["latest_version"] == 2
    patched = send(admin, "patch", f"/plans/{plan_id}", {"is_active": False})
    assert patched.json()["is_active"] is False
    assert BonusPlan.objects.get(pk=plan_id).is_active is False


def test_formula_check(org):
    admin = api_client(org.admin)
    ok = send(admin, "post", "/formulas/check", {"kind": "monthly", "formula": "kpi_score * 10"})
    body = ok.json()
    assert ok.status_code == 200 and body["ok"] and body["preview"]["result"] == "850.00"
    bad = send(admin, "post", "/formulas/check", {"kind": "monthly", "formula": "kpi_scor"}).json()
    assert bad["ok"] is False and "kpi_scor" in bad["errors"][0]
    assert error(send(admin, "post", "/formulas/check", {"kind": "x", "formula": "1"}))[
        "field"
    ] == ("kind")
    assert not BonusPlan.objects.exists() and not PlanVersion.objects.exists()


def test_policy(org):
    admin = api_client(org.admin)
    assert Decimal(admin.get(API + "/policy").json()["coefficient_max"]) == Decimal("1.3")
    body = error(send(admin, "put", "/policy", {"coefficient_min": "1.5"}))
    assert body["field"] == "coefficient_min" and "(1.5)" in body["message"]
    body = error(send(admin, "put", "/policy", {"payment_percent": "45"}))
    assert body["field"] == "tranche_percents" and "95" in body["message"]
    assert IncentivePolicy.current().payment_percent == 50
    saved = send(admin, "put", "/policy", {"payment_percent": "45", "quality_percent": "35"})
    assert saved.status_code == 200 and Decimal(saved.json()["payment_percent"]) == 45


def test_mentors(org):
    admin = api_client(org.admin)
    body = error(
        send(
            admin,
            "post",
            "/mentors",
            {"mentor_id": org.rep_a.pk, "mentee_id": org.rep_a.pk, "starts_on": "2026-01-01"},
        )
    )
    assert body["field"] == "mentee_id" and not MentorPair.objects.exists()
    created = send(
        admin,
        "post",
        "/mentors",
        {"mentor_id": org.rep_a.pk, "mentee_id": org.rep_b.pk, "starts_on": "2026-01-01"},
    )
    assert created.status_code == 201 and created.json()["mentor"] == "Rep A"
    pair_id = created.json()["id"]
    body = error(send(admin, "patch", f"/mentors/{pair_id}", {"ends_on": "2025-01-01"}))
    assert body["field"] == "ends_on"
    assert send(admin, "patch", f"/mentors/{pair_id}", {"ends_on": "2026-06-30"}).status_code == 200
    mentors.create_pair(
        by=org.admin, mentor=org.rep_d, mentee=org.manager_south, starts_on=clock.today()
    )
    manager = api_client(org.manager_east)
    listed = manager.get(API + "/mentors").json()
    assert [r["id"] for r in listed["results"]] == [pair_id]
    assert send(manager, "patch", f"/mentors/{pair_id}", {"note": "x"}).status_code == 403
