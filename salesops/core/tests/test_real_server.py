"""What only a real WSGI server shows: ``salesops run`` as a subprocess (core/tests/realserver)."""

import json

import pytest


@pytest.fixture(scope="module", params=["waitress", "gunicorn"])
def each_server(request, real_server_factory):
    server = real_server_factory("--server", request.param)
    yield server
    server.stop()


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


def test_the_default_server_is_gunicorn_with_several_processes(real_server):
    # what `make run` starts (less the worker): the fast set-up, not waitress
    assert "Starting gunicorn" in real_server.output
    assert real_server.output.count("Booting worker") >= 2


def test_default_workers_follow_the_measurements(monkeypatch):
    from salesops.core.management.commands.run import default_workers

    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 4)
    assert default_workers("salesops.core.sqlite") == 4  # SQLite: as many as cores
    assert default_workers("django.db.backends.postgresql") == 8  # PostgreSQL: two per core
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert default_workers("salesops.core.sqlite") == 3
