"""The source channel on quick entry and the lead form (SPEC L3): a dropdown of the
active channels a person may pick (manual entry preselected; API and import channels and
switched-off ones are not offered); the API takes an id or kind code and answers 422 on
``channel`` for an unknown one, naming the other bad fields too and writing nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from salesops.leads import services
from salesops.leads.models import Lead
from salesops.leads.tests.api_helpers import API, lead_payload, patch, post

from .factories import make_channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def channels(org):
    return {
        "event": make_channel(name="2026 进博会", kind="event"),
        "referral": make_channel(name="老客户转介绍", kind="referral"),
        "api": make_channel(name="CRM 接口", kind="api"),
        "off": make_channel(name="停用的展会", kind="event", is_active=False),
    }


def page(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_choices_are_active_channels_a_person_may_pick(channels):
    picked = list(services.entry_channels())
    assert picked[0].kind == "manual"
    names = [c.name for c in picked]
    assert "2026 进博会" in names and "老客户转介绍" in names
    assert "CRM 接口" not in names and "停用的展会" not in names


def test_quick_entry_page_offers_the_dropdown_with_manual_preselected(org, channels):
    html = page(org.rep_a).get("/leads/new/").content.decode()
    assert 'data-testid="lead-channel"' in html
    manual = services.manual_channel()
    assert f'<option value="{manual.pk}" selected>' in html
    assert "老客户转介绍" in html and "CRM 接口" not in html


def test_quick_entry_page_records_the_picked_channel(org, channels):
    data = lead_payload(channel=str(channels["referral"].pk))
    response = page(org.rep_a).post("/leads/new/", data)
    assert response.status_code == 302, response.content
    lead = Lead.objects.get(phone__endswith=data["phone"][-8:])
    assert lead.channel == channels["referral"]
    assert lead.inquiries.get().channel == channels["referral"]


def test_quick_entry_page_refuses_a_machine_channel_naming_the_field(org, channels):
    data = lead_payload(channel=str(channels["api"].pk))
    response = page(org.rep_a).post("/leads/new/", data)
    assert response.status_code == 200
    assert response.context["form"].errors["channel"]
    assert not Lead.objects.exists()


def test_without_a_channel_it_is_manual_entry(org, as_):
    response = post(as_("rep_a"), "/leads", lead_payload())
    assert response.status_code == 201, response.content
    assert Lead.objects.get().channel.kind == "manual"


@pytest.mark.parametrize("how", ["id", "kind"])
def test_the_api_takes_an_id_or_a_kind_code(org, as_, channels, how):
    event = channels["event"]
    code = event.pk if how == "id" else "event"
    response = post(as_("rep_a"), "/leads", lead_payload(channel=code))
    assert response.status_code == 201, response.content
    assert Lead.objects.get().channel == event
    assert response.json()["lead"]["channel"]["id"] == event.pk


@pytest.mark.parametrize("code", ["trade-show", "999999", "api", "import"])
def test_the_api_refuses_an_unknown_channel_with_422_on_channel(org, as_, channels, code):
    response = post(as_("rep_a"), "/leads", lead_payload(channel=code))
    assert response.status_code == 422, response.content
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert "channel" in errors
    assert "进博会" in errors["channel"]  # the choices are named
    assert not Lead.objects.exists()


def test_an_unknown_channel_and_missing_fields_are_named_together(org, as_, channels):
    response = post(as_("rep_a"), "/leads", {"channel": "nope", "company": "X 公司"})
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"channel", "contact_name", "phone", "need"} <= fields
    assert not Lead.objects.exists()


def test_the_lead_form_corrects_the_channel(org, as_, channels):
    created = post(as_("rep_a"), "/leads", lead_payload()).json()["lead"]
    lead = Lead.objects.get(pk=created["id"])
    client = page(org.rep_a)
    html = client.get(f"/leads/{lead.pk}/edit/").content.decode()
    assert 'data-testid="lead-channel"' in html
    form = client.get(f"/leads/{lead.pk}/edit/").context["form"]
    data = {k: v for k, v in form.initial.items() if isinstance(v, str)}
    data["channel"] = str(channels["event"].pk)
    response = client.post(f"/leads/{lead.pk}/edit/", data)
    assert response.status_code == 302, (
        getattr(response, "context", None) and response.context["form"].errors
    )
    lead.refresh_from_db()
    assert lead.channel == channels["event"]


def test_patch_corrects_the_channel_and_refuses_an_unknown_one(org, as_, channels):
    rep = as_("rep_a")
    lead_id = post(rep, "/leads", lead_payload()).json()["id"]
    bad = patch(rep, f"/leads/{lead_id}", {"channel": "nope"})
    assert bad.status_code == 422
    assert Lead.objects.get(pk=lead_id).channel.kind == "manual"
    good = patch(rep, f"/leads/{lead_id}", {"channel": "referral"})
    assert good.status_code == 200, good.content
    assert good.json()["channel"]["id"] == channels["referral"].pk
    assert rep.get(API + f"/leads/{lead_id}").json()["channel"]["id"] == channels["referral"].pk
