"""How the API answers a write it cannot attribute to anyone (issue 11, item 11b).

Every write endpoint of every router is walked: an anonymous request and a request with a
bad, unknown or revoked token get 401 with the reason; only a real session without a CSRF
token gets the 403 CSRF answer. Authentication runs before the body or the object is
looked at, so the path parameters and bodies need not be real.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from salesops.api import api
from salesops.customers.models import Account
from salesops.org.services import api_token_create, api_token_revoke

WRITES = ("post", "put", "patch", "delete")


def _write_endpoints() -> list[tuple[str, str]]:
    schema = api.get_openapi_schema(path_prefix="/api/v1")
    out = []
    for path, operations in schema["paths"].items():
        for method in operations:
            if method in WRITES:
                out.append((method, re.sub(r"\{[^}]+\}", "1", path)))
    return sorted(out)


ENDPOINTS = _write_endpoints()


def test_the_walk_covers_the_endpoint_families_named_in_the_issue():
    paths = {path for _method, path in ENDPOINTS}
    assert {"/api/v1/feed/batch", "/api/v1/leads", "/api/v1/activities"} <= paths
    assert len(ENDPOINTS) > 30


def _send(client: Client, method: str, path: str, **headers):
    return getattr(client, method)(path, data="{}", content_type="application/json", **headers)


def _assert_401(response, *, invalid_token: bool):
    assert response.status_code == 401, response.content
    body = response.json()
    assert body["code"] == "unauthenticated"
    assert body["field"] is None
    if invalid_token:
        assert "invalid, expired or revoked" in body["message"]
        assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    else:
        assert body["message"].startswith("Log in, or send a valid API token")
    assert "CSRF" not in body["message"]


@pytest.fixture
def revoked_key(org):
    token, key = api_token_create(user=org.rep_a, name="old ERP")
    api_token_revoke(user=org.rep_a, token_id=token.pk)
    return key


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_anonymous_and_bad_tokens_get_401_on_every_write(org, revoked_key, method, path):
    client = Client(enforce_csrf_checks=True)
    _assert_401(_send(client, method, path), invalid_token=False)
    for headers in (
        {"HTTP_AUTHORIZATION": f"Bearer {revoked_key}"},
        {"HTTP_AUTHORIZATION": "Bearer so_not-a-real-token"},
        {"HTTP_AUTHORIZATION": "Bearer "},
        {"HTTP_X_API_TOKEN": revoked_key},
        {"HTTP_X_API_TOKEN": "so_not-a-real-token"},
    ):
        _assert_401(_send(client, method, path, **headers), invalid_token=True)


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_a_session_without_csrf_token_gets_403_on_every_write(org, method, path):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.rep_a)
    response = _send(client, method, path)
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "forbidden"
    assert "X-CSRFToken" in response.json()["message"]


def test_a_bad_token_is_refused_even_with_a_logged_in_session(org, revoked_key):
    # A client that sends a token means the token: it is not quietly replaced by a session.
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.rep_a)
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {revoked_key}")
    _assert_401(response, invalid_token=True)


def test_the_revoked_erp_token_is_told_so_on_the_feed(org, revoked_key):
    response = Client(enforce_csrf_checks=True).post(
        "/api/v1/feed/batch",
        data={"records": []},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {revoked_key}",
    )
    _assert_401(response, invalid_token=True)


def test_a_valid_token_still_writes_without_csrf(org):
    _, key = api_token_create(user=org.rep_a, name="tool")
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {key}")
    response = client.post(
        "/api/v1/accounts", {"name": "无锡恒拓精密机械有限公司"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    account = Account.objects.get(pk=response.json()["id"])
    assert (account.name, account.owner) == ("无锡恒拓精密机械有限公司", org.rep_a)
