"""Deals and pipelines over the REST API: real HTTP, real tokens, every role."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from salesops.core.tests.visibility_matrix import ROLES, Case, assert_matrix
from salesops.customers.models import Account
from salesops.customers.tests.factories import credit_code
from salesops.customization.tests.factories import make_definition
from salesops.leads.models import Lead, LeadStatus
from salesops.leads.tests.factories import LeadFactory
from salesops.pipeline.models import Deal, StageChange

from .api_helpers import (
    API,
    assert_error,
    client_for,
    deal_state,
    error_fields,
    get,
    other_pipeline,
    patch,
    post,
)
from .factories import make_account, make_contact, make_deal, stage

pytestmark = pytest.mark.django_db

OWNERS = ("rep_a", "rep_b", "rep_c", "rep_d", "manager_east", "manager_sh", "manager_south")


# --- visibility -----------------------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_deals_follow_the_visibility_matrix(org, pipeline, role):
    records = {owner: make_deal(owner=getattr(org, owner)) for owner in OWNERS}
    case = Case(
        list=f"{API}/deals",
        detail=f"{API}/deals/{{pk}}",
        update={"name": "edited"},
    )
    assert_matrix(case, org=org, role=role, records=records)


def test_a_rep_cannot_reach_another_reps_deal_anywhere(org, pipeline):
    deal = make_deal(owner=org.rep_a)
    before = deal_state(deal.pk)
    rep_b = client_for(org.rep_b)
    for response in (
        get(rep_b, f"/deals/{deal.pk}"),
        patch(rep_b, f"/deals/{deal.pk}", {"amount": "1"}),
        post(rep_b, f"/deals/{deal.pk}/reassign", {"owner_id": org.rep_b.pk}),
        get(rep_b, f"/deals/{deal.pk}/stage-changes"),
        post(rep_b, f"/deals/{deal.pk}/stage-changes", {"to_stage": "lost", "reason": "x"}),
        get(rep_b, f"/deals/{deal.pk}/evidence"),
    ):
        assert_error(response, 404, "not_found")
    assert deal_state(deal.pk) == before


def test_read_only_roles_read_but_cannot_write(org, pipeline):
    deal = make_deal(owner=org.rep_a)
    finance = client_for(org.finance)
    assert get(finance, f"/deals/{deal.pk}").status_code == 200
    before = deal_state(deal.pk)
    assert_error(patch(finance, f"/deals/{deal.pk}", {"name": "x"}), 403, "forbidden")
    response = post(finance, "/deals", {"account_id": deal.account_id, "name": "F"})
    assert_error(response, 403, "forbidden")
    response = post(finance, f"/deals/{deal.pk}/stage-changes", {"to_stage": "lost", "reason": "x"})
    assert_error(response, 403, "forbidden")
    assert deal_state(deal.pk) == before
    assert not Deal.objects.filter(name="F").exists()


# --- list and filters -----------------------------------------------------------------------
def test_list_filters_and_paginates(org, pipeline):
    rep = client_for(org.rep_a)
    a = make_deal(owner=org.rep_a, name="Alpha 产线", need_confirmed=True)
    b = make_deal(
        owner=org.rep_a,
        name="Beta",
        stage_code="demo",
        commit_category="commit",
        need_confirmed=True,
        budget_confirmed=True,
        decision_maker_identified=True,
    )
    make_deal(owner=org.rep_b, name="Alpha of rep_b")

    def ids(**params):
        response = get(rep, "/deals", **params)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids() == {a.pk, b.pk}
    assert ids(q="Alpha") == {a.pk}
    assert ids(stage=stage("demo").pk) == {b.pk}
    assert ids(pipeline=pipeline.pk) == {a.pk, b.pk}
    assert ids(commit_category="commit") == {b.pk}
    assert ids(qualified="true") == {b.pk}
    assert ids(qualified="false") == {a.pk}
    assert ids(status="open") == {a.pk, b.pk}
    assert ids(team=org.east.pk) == {a.pk, b.pk}
    assert ids(owner=org.rep_b.pk) == set()
    page = get(rep, "/deals", page_size=1, page=2).json()
    assert page["count"] == 2 and len(page["results"]) == 1
    row = get(rep, "/deals", q="Beta").json()["results"][0]
    assert row["stage"]["code"] == "demo" and row["qualified"] is True
    assert Decimal(row["weighted_amount"]) == Decimal("60000.00")


def test_bad_filters_are_422_naming_the_filter(org, pipeline):
    rep = client_for(org.rep_a)
    assert_error(get(rep, "/deals", status="maybe"), 422, "validation_error", "status")
    assert_error(
        get(rep, "/deals", close_after="2026-13-40"), 422, "validation_error", "close_after"
    )
    assert_error(get(rep, "/deals", page_size=0), 422, "validation_error", "page_size")


def test_a_manager_lists_the_teams_deals_and_a_director_all(org, pipeline):
    deals = {owner: make_deal(owner=getattr(org, owner)) for owner in ("rep_a", "rep_c", "rep_d")}
    got = {row["id"] for row in get(client_for(org.manager_sh), "/deals").json()["results"]}
    assert got == {deals["rep_c"].pk}
    got = {row["id"] for row in get(client_for(org.director), "/deals").json()["results"]}
    assert got == {d.pk for d in deals.values()}


# --- create ---------------------------------------------------------------------------------
def test_a_rep_opens_a_deal_in_the_first_stage(org, pipeline):
    account = make_account(org.rep_a)
    contact = make_contact(account)
    response = post(
        client_for(org.rep_a),
        "/deals",
        {
            "account_id": account.pk,
            "name": "MES 一期",
            "contact_ids": [contact.pk],
            "amount": "250000.50",
            "expected_close_date": "2027-01-31",
            "need_confirmed": True,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["stage"]["code"] == "contact" and body["owner"]["id"] == org.rep_a.pk
    assert body["contacts"] == [{"id": contact.pk, "name": contact.name}]
    assert body["pipeline"]["id"] == pipeline.pk
    deal = Deal.objects.get(pk=body["id"])
    assert deal.amount == Decimal("250000.50") and deal.expected_close_date == dt.date(2027, 1, 31)
    assert StageChange.objects.filter(deal=deal, direction="created").count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "-1"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"expected_close_date": "2026-02-30"}, "expected_close_date"),
        ({"commit_category": "certain"}, "commit_category"),
        ({"product_line": "nope"}, "product_line"),
        ({"contact_ids": [10**9]}, "contact_ids"),
        ({"owner_id": 10**9}, "owner_id"),
        ({"stage_id": 10**9}, "stage_id"),
        ({"name": "x" * 201}, "name"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_on_create_is_422_naming_the_field_and_writes_nothing(org, pipeline, body, field):
    account = make_account(org.rep_a)
    count = Deal.objects.count()
    response = post(client_for(org.rep_a), "/deals", {"account_id": account.pk, **body})
    assert field in error_fields(response)
    assert response.json()["field"] == field
    assert Deal.objects.count() == count


def test_a_stage_of_another_pipeline_is_refused(org, pipeline):
    _other, foreign = other_pipeline()
    account = make_account(org.rep_a)
    response = post(
        client_for(org.rep_a),
        "/deals",
        {"account_id": account.pk, "pipeline_id": pipeline.pk, "stage_id": foreign.pk},
    )
    assert_error(response, 422, "validation_error", "stage_id")
    assert not Deal.objects.exists()


def test_another_reps_account_or_owner_is_refused(org, pipeline):
    theirs = make_account(org.rep_b)
    rep = client_for(org.rep_a)
    response = post(rep, "/deals", {"account_id": theirs.pk})
    assert_error(response, 422, "validation_error", "account_id")
    mine = make_account(org.rep_a)
    response = post(rep, "/deals", {"account_id": mine.pk, "owner_id": org.rep_d.pk})
    assert_error(response, 422, "validation_error", "owner_id")
    assert not Deal.objects.exists()


def test_a_manager_opens_a_deal_for_a_rep_of_the_team(org, pipeline):
    account = make_account(org.rep_a)
    response = post(
        client_for(org.manager_east), "/deals", {"account_id": account.pk, "owner_id": org.rep_a.pk}
    )
    assert response.status_code == 201, response.content
    assert response.json()["owner"]["id"] == org.rep_a.pk


# --- update and reassign --------------------------------------------------------------------
def test_patch_changes_only_the_fields_sent_with_etag(org, pipeline):
    deal = make_deal(owner=org.rep_a, name="Old")
    contact = make_contact(deal.account)
    rep = client_for(org.rep_a)
    etag = get(rep, f"/deals/{deal.pk}")["ETag"]
    response = patch(
        rep,
        f"/deals/{deal.pk}",
        {"amount": "88000", "contact_ids": [contact.pk], "budget_confirmed": True},
        **{"If-Match": etag},
    )
    assert response.status_code == 200, response.content
    deal.refresh_from_db()
    assert deal.name == "Old" and deal.amount == Decimal("88000") and deal.budget_confirmed
    assert list(deal.contacts.all()) == [contact]
    stale = patch(rep, f"/deals/{deal.pk}", {"name": "New"}, **{"If-Match": etag})
    assert_error(stale, 409, "conflict")
    assert Deal.objects.get(pk=deal.pk).name == "Old"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "-5"}, "amount"),
        ({"amount": None}, "amount"),
        ({"need_confirmed": None}, "need_confirmed"),
        ({"expected_close_date": "tomorrow"}, "expected_close_date"),
        ({"name": ""}, "name"),
        ({"stage_id": 1}, "stage_id"),
    ],
)
def test_bad_patches_are_422_and_change_nothing(org, pipeline, body, field):
    deal = make_deal(owner=org.rep_a)
    before = deal_state(deal.pk)
    response = patch(client_for(org.rep_a), f"/deals/{deal.pk}", body)
    assert field in error_fields(response)
    assert deal_state(deal.pk) == before


def test_a_contact_of_another_account_is_refused(org, pipeline):
    deal = make_deal(owner=org.rep_a)
    stranger = make_contact(make_account(org.rep_a))
    before = deal_state(deal.pk)
    response = patch(client_for(org.rep_a), f"/deals/{deal.pk}", {"contact_ids": [stranger.pk]})
    assert_error(response, 422, "validation_error", "contact_ids")
    assert deal_state(deal.pk) == before


def test_custom_fields_are_validated_and_kept(org, pipeline):
    make_definition(org.admin, entity="deal", key="po", type="number")
    deal = make_deal(owner=org.rep_a)
    rep = client_for(org.rep_a)
    response = patch(rep, f"/deals/{deal.pk}", {"custom": {"po": "abc"}})
    assert response.status_code == 422, response.content
    response = patch(rep, f"/deals/{deal.pk}", {"custom": {"po": "12"}})
    assert response.status_code == 200, response.content
    assert get(rep, f"/deals/{deal.pk}").json()["custom"]["po"] in ("12", 12)


def test_a_manager_reassigns_within_the_team_a_rep_cannot_elsewhere(org, pipeline):
    deal = make_deal(owner=org.rep_a)
    response = post(
        client_for(org.manager_east),
        f"/deals/{deal.pk}/reassign",
        {"owner_id": org.rep_b.pk, "reason": "客户在南京"},
    )
    assert response.status_code == 200, response.content
    assert Deal.objects.get(pk=deal.pk).owner == org.rep_b
    last = Deal.history.filter(id=deal.pk).latest("history_date")
    assert (last.history_change_reason, last.history_user) == (
        "reassigned: 客户在南京",
        org.manager_east,
    )
    response = post(
        client_for(org.manager_east), f"/deals/{deal.pk}/reassign", {"owner_id": org.rep_d.pk}
    )
    assert_error(response, 422, "validation_error", "owner_id")
    mine = make_deal(owner=org.rep_a)
    response = post(client_for(org.rep_a), f"/deals/{mine.pk}/reassign", {"owner_id": org.rep_b.pk})
    assert_error(response, 422, "validation_error", "owner_id")
    assert Deal.objects.get(pk=mine.pk).owner == org.rep_a
    response = post(
        client_for(org.finance), f"/deals/{mine.pk}/reassign", {"owner_id": org.rep_b.pk}
    )
    assert_error(response, 403, "forbidden")


# --- from a lead ----------------------------------------------------------------------------
def test_a_lead_becomes_a_deal_with_its_contact(org, pipeline):
    lead = LeadFactory(owner=org.rep_a)
    rep = client_for(org.rep_a)
    response = post(rep, "/deals/from-lead", {"lead_id": lead.pk, "amount": "50000"})
    assert response.status_code == 201, response.content
    body = response.json()
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED
    assert body["lead_id"] == lead.pk and body["account"]["id"] == lead.account_id
    assert [c["id"] for c in body["contacts"]] == [lead.contact_id]
    assert body["owner"]["id"] == org.rep_a.pk
    again = post(rep, "/deals/from-lead", {"lead_id": lead.pk})
    assert_error(again, 422, "validation_error", "lead_id")
    assert Deal.objects.filter(lead=lead).count() == 1


def test_another_reps_lead_cannot_become_my_deal(org, pipeline):
    lead = LeadFactory(owner=org.rep_b)
    response = post(client_for(org.rep_a), "/deals/from-lead", {"lead_id": lead.pk})
    assert_error(response, 422, "validation_error", "lead_id")
    assert not Deal.objects.exists()


def test_a_lead_matching_a_customer_i_cannot_change_waits_for_review_without_a_deal(org, pipeline):
    theirs = make_account(org.rep_b, credit_code=credit_code())
    lead = LeadFactory(owner=org.rep_a)
    Lead.objects.filter(pk=lead.pk).update(credit_code=theirs.credit_code)
    response = post(client_for(org.rep_a), "/deals/from-lead", {"lead_id": lead.pk})
    body = assert_error(response, 409, "held_for_review", "lead_id")
    assert "review" in body["message"]
    assert theirs.name not in body["message"]
    lead.refresh_from_db()
    assert lead.status != LeadStatus.CONVERTED and lead.review_state == "review"
    assert not Deal.objects.exists()


def test_a_refused_deal_undoes_the_conversion(org, pipeline):
    _other, foreign = other_pipeline()
    lead = LeadFactory(owner=org.rep_a)
    accounts = Account.objects.count()
    response = post(
        client_for(org.rep_a),
        "/deals/from-lead",
        {"lead_id": lead.pk, "pipeline_id": pipeline.pk, "stage_id": foreign.pk, "amount": "-3"},
    )
    assert error_fields(response) == {"stage_id", "amount"}
    lead.refresh_from_db()
    assert lead.status != LeadStatus.CONVERTED and lead.account_id is None
    assert Account.objects.count() == accounts
    assert not Deal.objects.exists()


# --- pipelines ------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["rep_a", "manager_east", "director", "finance", "cs"])
def test_pipelines_list_their_stages_and_exit_criteria(org, pipeline, role):
    client = client_for(getattr(org, role))
    rows = get(client, "/pipelines").json()
    assert [row["code"] for row in rows] == [pipeline.code]
    stages = rows[0]["stages"]
    assert [s["code"] for s in stages][:2] == ["contact", "needs"]
    assert stages[-1]["kind"] == "lost" and stages[-2]["kind"] == "won"
    needs = stages[1]
    assert needs["required_evidence"] == ["minutes"]
    assert set(needs["required_fields"]) == {"need_confirmed", "contacts"}
    proposal = stages[2]
    assert proposal["needs_approval"] is True and proposal["probability"] == 40
    one = get(client, f"/pipelines/{pipeline.pk}")
    assert one.status_code == 200 and one.json()["id"] == pipeline.pk
    assert_error(get(client, "/pipelines/999999"), 404, "not_found")


def test_the_list_costs_the_same_queries_for_2_or_12_deals(org, pipeline):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    manager = client_for(org.manager_east)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = get(manager, "/deals", page_size=50)
        assert response.status_code == 200
        return len(captured), response.json()["count"]

    queries()  # the first call of the day also notes the user as seen (outcomes)
    for _ in range(2):
        contact = make_contact(make_account(org.rep_a))
        make_deal(owner=org.rep_a, account=contact.account, contacts=[contact])
    few, count = queries()
    assert count == 2
    for _ in range(10):
        contact = make_contact(make_account(org.rep_b))
        make_deal(owner=org.rep_b, account=contact.account, contacts=[contact])
    many, count = queries()
    assert count == 12 and many == few
