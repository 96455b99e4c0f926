"""Issue 13: a setting changed by an admin takes effect on the next request in *another*
worker process — through the real server (``salesops run``: gunicorn, two processes)
with Redis as the cache, as in production.

The settings' cache age is raised to an hour in the server, so only the shared version
number in Redis can tell the other process that the settings changed: with the
local-memory cache this test fails (the other process keeps accepting 8-character notes).
"""

from __future__ import annotations

import json
import socket

import pytest

from salesops.core.tests.realserver import salesops_command

REDIS_DB = 14
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"
REQUESTS = 12  # each on a new connection: both gunicorn processes answer some


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def shared_cache_server(real_server_var, real_server_factory):
    if not _redis_up():
        pytest.fail("Redis is not running on 127.0.0.1:6379 (see README: prerequisites).")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    env = {"REDIS_URL": REDIS_URL, "ORG_SETTINGS_CACHE_SECONDS": "3600", "WEB_CONCURRENCY": "2"}
    result = salesops_command(
        real_server_var,
        "shell",
        "-c",
        "from salesops.org.services import user_create, api_token_create;"
        "from salesops.customers.services import account_create;"
        "a = user_create(username='xp_admin', role='admin');"
        "r = user_create(username='xp_rep', role='rep');"
        "acc = account_create(actor=r, name='烟台鑫昌连锁超市有限公司', owner=r);"
        "print('ADMIN', api_token_create(user=a, name='xp')[1]);"
        "print('REP', api_token_create(user=r, name='xp')[1]);"
        "print('ACCOUNT', acc.pk)",
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    found = dict(line.split()[:2] for line in result.stdout.splitlines() if line[:1].isupper())
    server = real_server_factory(env=env)
    return server, found["ADMIN"], found["REP"], int(found["ACCOUNT"])


def _call(server, token, method, path, body=None):
    status, _headers, data = server.request(
        method,
        path,
        body=body,
        headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"},
    )
    return status, json.loads(data or b"null")


def test_a_changed_setting_holds_in_every_worker_process_at_once(shared_cache_server):
    server, admin, rep, account = shared_cache_server
    status, tags = _call(server, rep, "GET", "/api/v1/result-tags")
    assert status == 200, tags
    tag = next(t["code"] for t in tags if t["counts_as_contact"])
    note = "客户要求下周再联系"  # 9 characters: within the default 20

    def log_activity():
        return _call(
            server,
            rep,
            "POST",
            "/api/v1/activities",
            {"account_id": account, "tag": tag, "note": note, "duration_seconds": 60},
        )

    # given every process has read (and cached) the default note length
    before = [log_activity() for _ in range(REQUESTS)]
    assert all(status == 201 for status, _body in before), before

    # when the admin shortens the check-in note to 5 characters
    status, body = _call(
        server, admin, "PUT", "/api/v1/settings/organisation", {"checkin_note_max": 5}
    )
    assert status == 200 and body["checkin_note_max"] == 5, body

    # then the very next request, whichever process answers it, refuses the long note
    after = [log_activity() for _ in range(REQUESTS)]
    refused = [body for status, body in after if status == 422]
    assert len(refused) == REQUESTS, after
    assert all("note" in json.dumps(body) for body in refused)
