"""The KPI configuration API: configurers only (403), 404 for unknown ids, 422 naming the
field (weights, formulas, unknown metric, a division by zero at preview) with nothing
saved, 409 for deleting a used metric; runs queued with progress, replayed identical."""

import pytest

from salesops.core import clock
from salesops.core.tests.visibility_matrix import api_client
from salesops.kpi.models import Metric, SchemeVersion, ScoreRun

from .schemes_data import WEIGHTS, build, items

pytestmark = pytest.mark.django_db
API = "/api/v1/kpi"


@pytest.fixture
def world():
    return build()


def send(client, method, url, data=None):
    return getattr(client, method)(API + url, data=data or {}, content_type="application/json")


def error(response, status=422) -> dict:
    assert response.status_code == status, response.content
    return response.json()


def version_body(**overrides):
    return {"effective_from": str(clock.today()), "items": items(), **WEIGHTS, **overrides}


def test_permissions(world):
    urls = ["/metrics", "/schemes", f"/schemes/{world.scheme.pk}/versions", "/runs", "/policy"]
    for user in (world.org.rep_a, world.org.manager_east, world.org.finance, world.org.cs):
        client = api_client(user)
        for url in urls:
            assert client.get(API + url).status_code == 403, (user, url)
        assert (
            send(client, "post", "/schemes/preview", {**WEIGHTS, "items": items()}).status_code
            == 403
        )
    for user in (world.org.admin, world.org.director):
        client = api_client(user)
        for url in urls:
            assert client.get(API + url).status_code == 200, (user, url)
    admin = api_client(world.org.admin)
    assert admin.get(f"{API}/schemes/999999").status_code == 404
    assert admin.get(f"{API}/metrics/999999").status_code == 404
    assert admin.get(f"{API}/schemes/{world.scheme.pk}/versions/9").status_code == 404
    assert admin.get(f"{API}/runs/999999").status_code == 404


def test_versions_validated_numbered_and_listed(world):
    admin = api_client(world.org.admin)
    url = f"/schemes/{world.scheme.pk}/versions"
    body = error(send(admin, "post", url, version_body(result_weight="85")))
    assert body["field"] == "weights"
    assert "must add up to 100, they add up to 110" in body["message"].replace(";", ",")
    body = error(send(admin, "post", url, version_body(result_weight="50", process_weight="50")))
    assert body["field"] == "process_weight"
    assert error(send(admin, "post", url, version_body(items=[])))["field"] == "items"
    body = error(send(admin, "post", url, version_body(result_weight="abc")))
    assert body["field"] == "result_weight"
    assert world.scheme.versions.count() == 1
    response = send(admin, "post", url, version_body(note="v2"))
    assert response.status_code == 201, response.content
    assert response.json()["number"] == 2
    assert response.json()["items"][0]["metric_definition"]["code"] == "t_calls"
    listed = admin.get(API + url).json()
    assert [v["number"] for v in listed] == [2, 1]
    assert admin.get(f"{API}{url}/1").json()["note"] == "first"


def test_preview_errors_name_the_problem_and_save_nothing(world):
    admin = api_client(world.org.admin)
    draft = {"scheme_id": world.scheme.pk, **WEIGHTS}
    rows = items()
    rows[0]["formula"] = "min(actual / target, 1.2) * 100)"
    body = error(send(admin, "post", "/schemes/preview", {**draft, "items": rows}))
    assert body["field"] == "items.0.formula"
    assert "t_calls" in body["message"] and "position" in body["message"]
    rows = items()
    rows[1]["metric"] = "ghost"
    body = error(send(admin, "post", "/schemes/preview", {**draft, "items": rows}))
    assert body["field"] == "items.1.metric" and "ghost" in body["message"]
    rows = items(calls_target="0", formula="actual / target")
    body = error(send(admin, "post", "/schemes/preview", {**draft, "items": rows}))
    assert body["field"] == "preview"
    assert "t_calls" in body["message"]
    assert SchemeVersion.objects.filter(scheme=world.scheme).count() == 1
    assert not ScoreRun.objects.exists()


def test_preview_scores_every_member(world):
    admin = api_client(world.org.admin)
    response = send(
        admin,
        "post",
        "/schemes/preview",
        {"scheme_id": world.scheme.pk, **WEIGHTS, "items": items()},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    scores = {r["user"]: r["score"] for r in body["results"]}
    assert scores == {"Rep A": "100.00", "Rep B": "37.50", "Rep C": "0.00"}
    assert body["period_end"] < str(clock.today().replace(day=1))


def test_metric_crud(world):
    admin = api_client(world.org.admin)
    data = {
        "code": "t_won",
        "name_zh": "赢单",
        "name_en": "Won",
        "source": "deals",
        "filter": 'status == "won"',
        "date_field": "closed_at",
    }
    response = send(admin, "post", "/metrics", data)
    assert response.status_code == 201, response.content
    metric_id = response.json()["id"]
    assert error(send(admin, "post", "/metrics", data))["field"] == "code"
    assert (
        error(send(admin, "post", "/metrics", {**data, "code": "t_x", "filter": "zz > 1"}))["field"]
        == "filter"
    )
    assert (
        error(send(admin, "post", "/metrics", {**data, "code": "t_y", "source": "nope"}))["field"]
        == "source"
    )
    assert error(send(admin, "patch", f"/metrics/{metric_id}", {"code": "t_z"}))["field"] == "code"
    response = send(admin, "patch", f"/metrics/{metric_id}", {"name_en": "Deals won"})
    assert response.json()["name_en"] == "Deals won"
    assert admin.get(f"{API}/metrics?q=t_won").json()["count"] == 1
    assert admin.get(f"{API}/metrics?q=t_&group=result").json()["results"][0]["code"] == "t_calls"
    body = error(send(admin, "delete", f"/metrics/{world.calls.pk}"), 409)
    assert "t_calls" in body["message"]
    assert send(admin, "delete", f"/metrics/{metric_id}").status_code == 204
    assert not Metric.objects.filter(code="t_won").exists()
    tried = admin.get(f"{API}/metrics/{world.calls.pk}/try").json()
    assert {v["user"]: v["value"] for v in tried["values"]}["Rep A"] == "2.0000"


def test_scheme_create_and_patch(world):
    admin = api_client(world.org.admin)
    body = error(send(admin, "post", "/schemes", {"name": "South", "team_id": 999999}))
    assert body["field"] == "team_id"
    response = send(admin, "post", "/schemes", {"name": "South", "team_id": world.org.south.pk})
    assert response.status_code == 201 and response.json()["latest_version"] is None
    scheme_id = response.json()["id"]
    assert error(send(admin, "post", "/schemes", {"name": "", "role": "cs"}))["field"] in (
        "name",
        "role",
    )
    response = send(admin, "patch", f"/schemes/{scheme_id}", {"is_active": False})
    assert response.json()["is_active"] is False


def test_run_queued_with_progress_then_replayed(world):
    admin = api_client(world.org.admin)
    start, _end = clock.today().replace(day=1), None
    month = f"{start:%Y-%m}"
    assert (
        error(send(admin, "post", "/runs", {"scheme_id": world.scheme.pk, "month": "13/2026"}))[
            "field"
        ]
        == "month"
    )
    assert (
        error(send(admin, "post", "/runs", {"scheme_id": 999999, "month": month}))["field"]
        == "scheme_id"
    )
    response = send(admin, "post", "/runs", {"scheme_id": world.scheme.pk, "month": month})
    assert response.status_code == 202, response.content
    status = admin.get(response.json()["status_url"]).json()  # Huey runs inline in tests
    assert status["done"] is True and status["error"] == ""
    run = ScoreRun.objects.get(pk=status["run"])
    assert run.state == "live" and run.reps == 3
    listed = admin.get(f"{API}/runs?scheme_id={world.scheme.pk}").json()
    assert listed["results"][0]["version"] == 1
    replay = send(admin, "post", f"/runs/{run.pk}/replay").json()
    assert replay == {"identical": True, "differences": []}


def test_policy_api(world):
    admin = api_client(world.org.admin)
    assert admin.get(f"{API}/policy").json()["process_min"] == "25.00"
    body = error(send(admin, "patch", "/policy", {"process_weight": "20"}))
    assert body["field"] in ("weights", "process_weight")
    response = send(
        admin,
        "patch",
        "/policy",
        {"result_weight": "55", "process_weight": "30", "ranking_visibility": "rank_only"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["ranking_visibility"] == "rank_only"
