"""Helpers of the leads API tests: token clients, JSON requests, the one error shape."""

from __future__ import annotations

import hashlib
import itertools

from django.test import Client

from salesops.customers.models import Account, Contact
from salesops.leads import services
from salesops.leads.models import Assignment, Inquiry, Lead
from salesops.leads.tests.factories import make_channel
from salesops.org.services import api_token_create

API = "/api/v1"
_seq = itertools.count(1)


def client_for(user) -> Client:
    """A client sending a fresh personal token, as an integration would."""
    _, key = api_token_create(user=user, name="tests")
    return Client(headers={"Authorization": f"Bearer {key}"})


def post(client, url, data=None, **kwargs):
    return client.post(API + url, data=data or {}, content_type="application/json", **kwargs)


def patch(client, url, data, **kwargs):
    return client.patch(API + url, data=data, content_type="application/json", **kwargs)


def get(client, url, **params):
    return client.get(API + url, params)


def assert_error(response, status, code, field=None):
    """Every API error has one shape: ``{"code", "message", "field", "errors"?}``."""
    assert response.status_code == status, response.content
    body = response.json()
    assert {"code", "message", "field"} <= set(body)
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"].strip()
    assert body["field"] == field
    return body


def error_fields(response) -> set[str]:
    assert response.status_code == 422, response.content
    return {e["field"] for e in response.json()["errors"]}


def lead_payload(n: int | None = None, **data) -> dict:
    """Four valid quick-entry fields; company names differ enough never to look alike."""
    n = next(_seq) if n is None else n
    data.setdefault("contact_name", f"Contact {n}")
    data.setdefault("phone", f"139{n:08d}")
    data.setdefault("company", "Co " + hashlib.sha1(str(n).encode()).hexdigest()[:10])
    data.setdefault("need", "Wants to digitise the production line")
    return data


def enter(client, **data) -> dict:
    """Quick entry through the API; returns the (created) lead."""
    response = post(client, "/leads", lead_payload(**data))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["outcome"] == "created"
    return body["lead"]


def pool_lead(team) -> Lead:
    """A lead no rule can place: it waits in ``team``'s pool."""
    channel = make_channel(team=team)
    result = services.lead_intake(channel=channel, data=lead_payload())
    assert result.lead.owner_id is None
    return result.lead


def lead_state(lead_id: int):
    """Everything a refused request must leave untouched."""
    lead = Lead.objects.get(pk=lead_id)
    return (
        {f.attname: getattr(lead, f.attname) for f in Lead._meta.concrete_fields},
        Lead.history.filter(id=lead_id).count(),
        Assignment.objects.filter(lead_id=lead_id).count(),
        Inquiry.objects.filter(lead_id=lead_id).count(),
        Account.objects.count(),
        Contact.objects.count(),
    )


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}
