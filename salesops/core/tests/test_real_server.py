"""What only a real WSGI server shows: ``salesops run`` as a subprocess (core/tests/realserver)."""

import json

import pytest

from salesops.core.tests.realserver import salesops_command


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


@pytest.fixture(scope="module")
def rep_token(real_server_var):
    """A rep's API token in the real servers' database."""
    result = salesops_command(
        real_server_var,
        "shell",
        "-c",
        "from salesops.org.services import user_create, api_token_create;"
        "u = user_create(username='wsgi_rep', role='rep');"
        "print('TOKEN', api_token_create(user=u, name='wsgi')[1])",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return next(line.split()[1] for line in result.stdout.splitlines() if line.startswith("TOKEN"))


def test_a_body_over_the_limit_is_a_413_with_the_error_shape(each_server, rep_token):
    # What the WSGI server hands over as a stream: Django's limit (2.5 MB) must answer 413.
    body = json.dumps({"contact_name": "张三", "need": "a" * 3_000_000}).encode()
    status, headers, data = each_server.request(
        "POST",
        "/api/v1/leads",
        body=body,
        headers={
            "Authorization": f"Bearer {rep_token}",
            "Content-Type": "application/json",
            "Accept-Language": "en",
        },
    )
    assert status == 413, data[:300]
    payload = json.loads(data)
    assert payload["code"] == "too_large" and "2.5" in payload["message"]


def test_a_revoked_or_unknown_token_is_a_401_not_a_csrf_403(each_server):
    status, headers, data = each_server.request(
        "POST", "/api/v1/leads", body={}, headers={"Authorization": "Bearer so_unknown"}
    )
    assert status == 401, data[:300]
    assert json.loads(data)["code"] == "unauthenticated"
    assert headers["www-authenticate"].startswith("Bearer")
