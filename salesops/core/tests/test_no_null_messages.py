"""Django's "This field cannot be null." (zh-Hans "这个值不能为 null") is a programmer's
message; a person sending an empty form or an empty API payload must read which fields
are required instead. Every create page and create endpoint is posted empty in both
languages and the answer checked for "null" in any message."""

import re

import pytest
from django.test import Client

from salesops.customers.tests.factories import make_account
from salesops.org.services import api_token_create
from salesops.revenue.tests.factories import make_contract

PAGES = [
    "/customers/accounts/new/",
    "/customers/contacts/new/",
    "/aftersales/complaints/new/",
    "/aftersales/nps/new/",
    "/aftersales/tickets/new/",
    "/aftersales/renewals/new/",
    "/tasks/new/",
    "/leads/new/",
    "/leads/channels/new/",
    "/leads/routing/new/",
    "/activities/tags/new/",
    "/automation/rules/new/",
    "/settings/custom-fields/new/",
    "/notifications/channels/new/",
]
# Pages only another role may use: finance records payments.
FINANCE_PAGES = ["/revenue/contracts/{contract}/payments/new/"]
ENDPOINTS = [
    "/accounts",
    "/contacts",
    "/tasks",
    "/leads",
    "/lead-channels",
    "/routing-rules",
    "/activities",
    "/result-tags",
    "/notification-channels",
    "/complaints",
    "/nps-responses",
    "/service-tickets",
    "/renewals",
    "/contracts",
    "/payments",
    "/invoices",
    "/deliveries",
]
NULL_WORDS = ("null", "None")
TOKEN_RE = re.compile(r'name="form_token" value="([0-9a-f]{32})"')


def empty_post(client, url, **headers):
    """POST the form as sent with every field left empty: only its one-time token (a
    form without one is bound to nothing and would not be validated at all)."""
    page = client.get(url, **headers)
    assert page.status_code == 200, url
    token = TOKEN_RE.search(page.content.decode())
    return client.post(url, {"form_token": token.group(1) if token else "", "x": ""}, **headers)


def strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


@pytest.fixture
def contract(org):
    return make_contract(make_account(org.rep_a, name="空表单测试客户"))


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_empty_create_forms_never_say_null(client, org, contract, language):
    client.cookies["django_language"] = language
    for url in [*PAGES, *FINANCE_PAGES]:
        client.force_login(org.finance if url in FINANCE_PAGES else org.admin)
        url = url.format(contract=contract.pk)
        response = empty_post(client, url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code < 500, url
        body = response.content.decode()
        assert "cannot be null" not in body and "不能为 null" not in body, url


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_empty_create_payloads_never_say_null(org, contract, language):
    _, key = api_token_create(user=org.admin, name="tests")
    client = Client(headers={"Authorization": f"Bearer {key}", "Accept-Language": language})
    for path in ENDPOINTS:
        response = client.post(f"/api/v1{path}", data={}, content_type="application/json")
        assert 400 <= response.status_code < 500, (path, response.status_code, response.content)
        messages = list(strings(response.json()))
        assert messages, path
        for message in messages:
            assert not any(word in message for word in NULL_WORDS), (path, message)


def test_an_empty_ticket_form_names_every_missing_field(client, org):
    make_account(org.rep_a, name="工单客户")
    client.force_login(org.rep_a)
    response = empty_post(client, "/aftersales/tickets/new/")
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"account", "subject", "opened_at"} <= set(errors), errors
    for messages in errors.values():
        assert all("null" not in m for m in messages), errors
