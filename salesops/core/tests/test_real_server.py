"""What only a real WSGI server shows: ``salesops run`` as a subprocess (core/tests/realserver)."""

import json

import pytest


@pytest.fixture(scope="module", params=["waitress", "gunicorn"])
def each_server(request, real_server_factory):
    return real_server_factory("--server", request.param)


def test_too_old_clients_get_426_with_the_error_body_not_a_500(each_server):
    status, headers, body = each_server.request(
        "GET", "/api/v1/me", headers={"X-Client-Version": "0.0.1", "Accept-Language": "en"}
    )
    assert status == 426, body[:500]
    assert headers["content-type"].startswith("application/json")
    payload = json.loads(body)
    assert payload["code"] == "upgrade_required"
    assert payload["field"] == "X-Client-Version"
    assert payload["minimum_version"] == "1.0.0"
    assert "0.0.1" in payload["message"]
    assert headers["x-minimum-client-version"] == "1.0.0"
    assert "upgrade" not in headers  # hop-by-hop: WSGI servers refuse it


def test_current_clients_reach_the_api(each_server):
    status, _, body = each_server.request(
        "GET", "/api/v1/me", headers={"X-Client-Version": "1.0.0"}
    )
    assert status == 401, body[:500]
