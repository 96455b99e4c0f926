"""Helpers of the deals API tests: token clients, JSON requests, deals ready to move."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile

from salesops.core.tests.visibility_matrix import api_client
from salesops.pipeline.models import Deal, Evidence, Pipeline, Stage, StageChange

from .factories import make_contact, make_deal

API = "/api/v1"
PDF = b"%PDF-1.4\n% proposal\n"


def client_for(user):
    return api_client(user)


def get(client, url, **params):
    return client.get(API + url, params)


def post(client, url, data=None):
    return client.post(API + url, data=data or {}, content_type="application/json")


def patch(client, url, data, **headers):
    return client.patch(API + url, data=data, content_type="application/json", headers=headers)


def upload(client, deal_id, *, type="proposal", name="p.pdf", content=PDF, note=""):
    return client.post(
        f"{API}/deals/{deal_id}/evidence",
        {"type": type, "note": note, "file": SimpleUploadedFile(name, content)},
    )


def assert_error(response, status, code, field=None):
    """Every API error has one shape: ``{"code", "message", "field", "errors"?}``."""
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"].strip()
    assert body["field"] == field, body
    return body


def error_fields(response) -> set:
    assert response.status_code == 422, response.content
    return {e["field"] for e in response.json()["errors"]}


def deal_state(deal_id: int):
    """Everything a refused request must leave untouched."""
    deal = Deal.objects.get(pk=deal_id)
    return (
        {f.attname: getattr(deal, f.attname) for f in Deal._meta.concrete_fields},
        sorted(deal.contacts.values_list("pk", flat=True)),
        Deal.history.filter(id=deal_id).count(),
        StageChange.objects.filter(deal_id=deal_id).count(),
        Evidence.objects.filter(deal_id=deal_id).count(),
    )


def ready_for_proposal(owner):
    """A deal in 需求确认 with every exit criterion but the minutes evidence met."""
    first = make_deal(owner=owner)
    contact = make_contact(first.account)
    return make_deal(
        owner=owner,
        account=first.account,
        stage_code="needs",
        contacts=[contact],
        need_confirmed=True,
    )


def in_proposal(owner):
    """A deal in 方案提交 (its move out waits for the manager) with its fields filled."""
    return make_deal(owner=owner, stage_code="proposal", expected_close_date=dt.date(2027, 3, 1))


def other_pipeline() -> tuple[Pipeline, Stage]:
    pipeline = Pipeline.objects.create(code="other", name_zh="其他", name_en="Other", order=9)
    stage = Stage.objects.create(
        pipeline=pipeline, code="first", name_zh="第一", name_en="First", order=1
    )
    return pipeline, stage
