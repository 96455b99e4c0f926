"""The deal forms as users fill them: create, edit, a lead converted into a deal and the
manager's reassignment; bad input is refused naming the field, with nothing written."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

import pytest

from salesops.leads.models import LeadStatus
from salesops.leads.tests.factories import LeadFactory
from salesops.pipeline.models import Deal, StageChange

from .factories import make_account, make_contact, make_deal

pytestmark = pytest.mark.django_db


def make_lead(owner, **data):
    return LeadFactory(owner=owner, **data)


TOKEN_RE = re.compile(r'name="form_token" value="([0-9a-f]{32})"')
VERSION_RE = re.compile(r'name="version" value="([^"]*)"')


def error_of(response, field: str) -> str:
    match = re.search(rf'data-testid="error-{field}">([^<]+)<', response.content.decode())
    return html.unescape(match.group(1)) if match else ""


def new_form(client, **extra) -> dict:
    page = client.get("/deals/new/", extra)
    assert page.status_code == 200
    return {"form_token": TOKEN_RE.search(page.content.decode()).group(1)}


def test_a_rep_creates_a_deal_with_its_decision_chain(client, org, pipeline):
    account = make_account(org.rep_a)
    contact = make_contact(account, decision_role="signatory")
    client.force_login(org.rep_a)
    page = client.get("/deals/new/", {"account": account.pk}).content.decode()
    assert contact.name in page and 'name="owner"' not in page  # a rep's deals are their own
    data = {
        **new_form(client),
        "name": "ERP 升级",
        "account": account.pk,
        "contacts": [contact.pk],
        "amount": "120000.00",
        "expected_close_date": "2027-03-31",
        "commit_category": "best_case",
        "need_confirmed": "on",
    }
    response = client.post("/deals/new/", data)
    deal = Deal.objects.get(name="ERP 升级")
    assert response.status_code == 302 and response["Location"] == f"/deals/{deal.pk}/"
    assert deal.owner == org.rep_a and list(deal.contacts.all()) == [contact]
    assert deal.amount == Decimal("120000.00") and deal.need_confirmed
    assert deal.stage.code == "contact"
    # sent twice (double click): one deal
    assert client.post("/deals/new/", data).status_code == 302
    assert Deal.objects.filter(name="ERP 升级").count() == 1


def test_the_contacts_picker_follows_the_account(client, org, pipeline):
    account = make_account(org.rep_a)
    contact = make_contact(account)
    other = make_contact(make_account(org.rep_a))
    client.force_login(org.rep_a)
    response = client.get(
        "/deals/new/", {"part": "contacts", "account": account.pk}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert 'data-testid="contacts-field"' in body and "<html" not in body
    assert contact.name in body and other.name not in body


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("amount", "-5", "0 or more"),
        ("expected_close_date", "1926-05-01", "between 2000"),
    ],
)
def test_bad_values_are_refused_naming_the_field(client, org, pipeline, field, value, words):
    account = make_account(org.rep_a)
    client.force_login(org.rep_a)
    data = {**new_form(client), "name": "坏", "account": account.pk, "amount": "1", field: value}
    response = client.post("/deals/new/", data)
    assert response.status_code == 422
    assert words in error_of(response, field)
    assert not Deal.objects.filter(name="坏").exists()


def test_contacts_of_another_account_are_refused(client, org, pipeline):
    account = make_account(org.rep_a)
    foreign = make_contact(make_account(org.rep_a))
    client.force_login(org.rep_a)
    data = {**new_form(client), "name": "坏", "account": account.pk, "contacts": [foreign.pk]}
    response = client.post("/deals/new/", data)
    assert response.status_code == 422
    assert "contacts of the deal's account" in error_of(response, "contacts")
    assert not Deal.objects.filter(name="坏").exists()


def test_another_reps_account_or_contact_is_not_a_choice(client, org, pipeline):
    theirs = make_account(org.rep_b)
    client.force_login(org.rep_a)
    response = client.post("/deals/new/", {**new_form(client), "name": "坏", "account": theirs.pk})
    assert response.status_code == 422 and error_of(response, "account")
    assert theirs.name not in response.content.decode()
    assert not Deal.objects.exists()


def test_a_manager_cannot_give_a_deal_outside_the_team(client, org, pipeline):
    account = make_account(org.rep_c)
    client.force_login(org.manager_sh)
    page = client.get("/deals/new/").content.decode()
    assert f'value="{org.rep_c.pk}"' in page and f'value="{org.rep_d.pk}"' not in page
    data = {**new_form(client), "name": "坏", "account": account.pk, "owner": org.rep_d.pk}
    response = client.post("/deals/new/", data)
    assert response.status_code == 422
    assert "your team" in error_of(response, "owner")
    assert not Deal.objects.exists()
    data = {**new_form(client), "name": "好", "account": account.pk, "owner": org.rep_c.pk}
    assert client.post("/deals/new/", data).status_code == 302
    assert Deal.objects.get(name="好").owner == org.rep_c


def test_edit_saves_and_a_bad_edit_writes_nothing(client, org, pipeline):
    deal = make_deal(owner=org.rep_a, name="原名")
    client.force_login(org.rep_a)
    page = client.get(f"/deals/{deal.pk}/edit/").content.decode()
    version = VERSION_RE.search(page).group(1)
    base = {"version": version, "name": "原名", "account": deal.account_id, "amount": "5"}
    response = client.post(f"/deals/{deal.pk}/edit/", {**base, "amount": "-1", "name": "新名"})
    assert response.status_code == 422 and error_of(response, "amount")
    deal.refresh_from_db()
    assert deal.name == "原名" and deal.amount == Decimal("100000.00")
    response = client.post(f"/deals/{deal.pk}/edit/", {**base, "budget_confirmed": "on"})
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.amount == Decimal("5") and deal.budget_confirmed


def test_finance_and_cs_cannot_post_a_new_deal(client, org, pipeline):
    account = make_account(org.rep_a)
    for user in (org.finance, org.cs):
        client.force_login(user)
        response = client.post("/deals/new/", {"name": "x", "account": account.pk})
        assert response.status_code == 403
    assert not Deal.objects.exists()


# --- a lead becomes a deal --------------------------------------------------------------------
def test_convert_a_lead_to_a_deal_prefilled(client, org, pipeline):
    lead = make_lead(owner=org.rep_a, company="华鼎科技有限公司")
    client.force_login(org.rep_a)
    detail = client.get(f"/leads/{lead.pk}/").content.decode()
    assert f'href="/deals/from-lead/{lead.pk}/"' in detail
    page = client.get(f"/deals/from-lead/{lead.pk}/")
    assert page.status_code == 200
    assert 'value="华鼎科技有限公司' in page.content.decode()  # the name, prefilled
    token = TOKEN_RE.search(page.content.decode()).group(1)
    response = client.post(
        f"/deals/from-lead/{lead.pk}/",
        {"form_token": token, "name": "华鼎 · 一期", "amount": "300000"},
    )
    assert response.status_code == 302
    deal = Deal.objects.get(lead=lead)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED and deal.account == lead.account
    assert deal.name == "华鼎 · 一期" and deal.amount == Decimal("300000")
    assert list(deal.contacts.all()) == [lead.contact]
    # the lead now links to its deal; the conversion page leads there too
    detail = client.get(f"/leads/{lead.pk}/").content.decode()
    assert f'href="/deals/{deal.pk}/"' in detail
    again = client.get(f"/deals/from-lead/{lead.pk}/")
    assert again.status_code == 302 and again["Location"] == f"/deals/{deal.pk}/"
    assert Deal.objects.filter(lead=lead).count() == 1


def test_convert_refuses_bad_input_and_other_reps_leads(client, org, pipeline):
    lead = make_lead(owner=org.rep_a)
    client.force_login(org.rep_b)
    assert client.get(f"/deals/from-lead/{lead.pk}/").status_code == 404
    client.force_login(org.finance)
    assert client.get(f"/deals/from-lead/{lead.pk}/").status_code == 403
    client.force_login(org.rep_a)
    page = client.get(f"/deals/from-lead/{lead.pk}/").content.decode()
    token = TOKEN_RE.search(page).group(1)
    response = client.post(f"/deals/from-lead/{lead.pk}/", {"form_token": token, "amount": "-3"})
    assert response.status_code == 422 and error_of(response, "amount")
    lead.refresh_from_db()
    assert lead.status != LeadStatus.CONVERTED and not Deal.objects.exists()


def test_manager_converts_a_team_lead(client, org, pipeline):
    lead = make_lead(owner=org.rep_c)
    client.force_login(org.manager_east)
    page = client.get(f"/deals/from-lead/{lead.pk}/").content.decode()
    token = TOKEN_RE.search(page).group(1)
    response = client.post(
        f"/deals/from-lead/{lead.pk}/",
        {"form_token": token, "owner": org.rep_c.pk, "expected_close_date": "2027-06-30"},
    )
    assert response.status_code == 302
    deal = Deal.objects.get(lead=lead)
    assert deal.owner == org.rep_c and deal.expected_close_date == dt.date(2027, 6, 30)


# --- reassignment -----------------------------------------------------------------------------
def test_a_manager_reassigns_within_the_team_only(client, org, pipeline):
    deal = make_deal(owner=org.rep_a)
    client.force_login(org.rep_a)
    assert 'data-testid="reassign-form"' not in client.get(f"/deals/{deal.pk}/").content.decode()
    assert client.post(f"/deals/{deal.pk}/reassign/", {"owner": org.rep_b.pk}).status_code == 403
    client.force_login(org.manager_east)
    response = client.post(f"/deals/{deal.pk}/reassign/", {"owner": org.rep_d.pk})
    assert response.status_code == 422 and error_of(response, "owner")
    deal.refresh_from_db()
    assert deal.owner == org.rep_a
    response = client.post(f"/deals/{deal.pk}/reassign/", {"owner": org.rep_b.pk, "reason": "休假"})
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.owner == org.rep_b
    # the stage record is untouched: only the owner changed
    assert StageChange.objects.filter(deal=deal).count() == 1


def test_a_lead_converted_without_an_account_is_sent_back(client, org, pipeline):
    from salesops.leads.models import Lead

    lead = make_lead(owner=org.rep_a)
    Lead.objects.filter(pk=lead.pk).update(status=LeadStatus.CONVERTED, account=None)
    client.force_login(org.rep_a)
    for send in (client.get, client.post):
        response = send(f"/deals/from-lead/{lead.pk}/")
        assert response.status_code == 302 and response["Location"] == f"/leads/{lead.pk}/"
    assert not Deal.objects.exists()


def test_a_converted_lead_without_a_deal_keeps_its_account_and_contact(client, org, pipeline):
    from salesops.leads import services as lead_services

    lead = lead_services.lead_convert(actor=org.rep_a, lead=make_lead(owner=org.rep_a))
    Deal.objects.filter(lead=lead).delete()  # converted before deals existed
    extra = make_contact(lead.account)
    client.force_login(org.rep_a)
    page = client.get(f"/deals/from-lead/{lead.pk}/").content.decode()
    assert lead.account.name in page and extra.name in page
    token = TOKEN_RE.search(page).group(1)
    response = client.post(
        f"/deals/from-lead/{lead.pk}/",
        {"form_token": token, "contacts": [lead.contact_id, extra.pk]},
    )
    assert response.status_code == 302
    deal = Deal.objects.get(lead=lead)
    assert deal.account == lead.account
    assert set(deal.contacts.all()) == {lead.contact, extra}
