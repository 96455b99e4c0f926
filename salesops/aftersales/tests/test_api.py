"""After-sales records over the REST API: real HTTP through Django, real tokens, real DB.
Visibility for every role on every endpoint, the error shape, filters."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from salesops.aftersales.models import Complaint, NpsResponse, Renewal, ServiceTicket
from salesops.aftersales.tests.factories import (
    at,
    make_complaint,
    make_nps,
    make_renewal,
    make_ticket,
)
from salesops.core import clock
from salesops.core.tests.visibility_matrix import ROLES, Case, assert_matrix
from salesops.org.services import api_token_create

API = "/api/v1"
# Whose records each role sees is core/visibility.py, written once in
# core/tests/visibility_matrix.py; here over the owners of the test accounts.
OWNERS = ("rep_a", "rep_b", "rep_c", "rep_d", "cs")
KINDS = {
    "/complaints": (Complaint, make_complaint, {"summary": "改了"}),
    "/nps-responses": (NpsResponse, make_nps, {"comment": "改了"}),
    "/service-tickets": (ServiceTicket, make_ticket, {"subject": "改了"}),
    "/renewals": (Renewal, make_renewal, {"contract_number": "改了"}),
}


def token_client(user) -> Client:
    _, key = api_token_create(user=user, name="tests")
    return Client(headers={"Authorization": f"Bearer {key}"})


def post(client, url, data):
    return client.post(API + url, data=data, content_type="application/json")


def patch(client, url, data):
    return client.patch(API + url, data=data, content_type="application/json")


def assert_error(response, status, code, field=None):
    """Every API error has one shape: ``{"code", "message", "field", "errors"?}``."""
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"].strip()
    assert body["field"] == field
    return body


@pytest.fixture
def records(accounts):
    """One record of every kind on each owner's account: ``{path: {owner: record}}``."""
    return {
        path: {owner: make(accounts[owner]) for owner in OWNERS}
        for path, (_model, make, _change) in KINDS.items()
    }


def state():
    return tuple((model.objects.count(), model.history.count()) for model, _m, _c in KINDS.values())


# --- visibility ---------------------------------------------------------------------------------


def matrix_case(path: str) -> Case:
    return Case(list=API + path, detail=API + path + "/{pk}", update=KINDS[path][2])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", KINDS)
def test_every_kind_follows_the_visibility_matrix(org, records, role, path):
    # lists hold exactly the records of visible accounts; hidden ones are 404 and stay
    # unchanged; finance reads all and changes nothing (403)
    assert_matrix(matrix_case(path), org=org, role=role, records=records[path])


@pytest.mark.parametrize("path", KINDS)
def test_a_rep_cannot_read_or_change_another_reps_record(org, records, path):
    client = token_client(org.rep_a)
    theirs = records[path]["rep_b"]
    before = state()
    assert_error(client.get(f"{API}{path}/{theirs.pk}"), 404, "not_found")
    assert_error(patch(client, f"{path}/{theirs.pk}", KINDS[path][2]), 404, "not_found")
    assert state() == before
    # while their own opens and changes
    mine = records[path]["rep_a"]
    assert client.get(f"{API}{path}/{mine.pk}").status_code == 200
    response = patch(client, f"{path}/{mine.pk}", KINDS[path][2])
    assert response.status_code == 200, response.content
    assert mine.history.count() == 2


@pytest.mark.parametrize("path", KINDS)
def test_finance_reads_everything_but_changes_nothing(org, records, accounts, path):
    client = token_client(org.finance)
    record = records[path]["rep_b"]
    before = state()
    assert client.get(f"{API}{path}/{record.pk}").status_code == 200
    assert_error(patch(client, f"{path}/{record.pk}", KINDS[path][2]), 403, "forbidden")
    valid = {
        "/complaints": {"summary": "x", "raised_on": "2026-03-02"},
        "/nps-responses": {"score": 9, "responded_on": "2026-03-02"},
        "/service-tickets": {"subject": "x", "opened_at": "2026-03-02T10:00:00+08:00"},
        "/renewals": {"due_on": "2026-06-30"},
    }[path]
    response = post(client, path, {"account_id": accounts["rep_b"].pk, **valid})
    assert_error(response, 403, "forbidden")
    assert state() == before


def test_a_manager_changes_the_records_of_the_team_subtree_only(org, records):
    client = token_client(org.manager_sh)
    theirs, outside = records["/renewals"]["rep_c"], records["/renewals"]["rep_a"]
    before = outside.amount
    response = patch(client, f"/renewals/{theirs.pk}", {"amount": "1"})
    assert response.status_code == 200, response.content
    assert_error(patch(client, f"/renewals/{outside.pk}", {"amount": "1"}), 404, "not_found")
    # then the team's renewal holds the new amount and the other one is untouched
    theirs.refresh_from_db()
    outside.refresh_from_db()
    assert (theirs.amount, outside.amount) == (Decimal("1"), before)


def test_a_rep_cannot_record_on_another_reps_account(org, accounts):
    before = state()
    response = post(
        token_client(org.rep_a),
        "/nps-responses",
        {"account_id": accounts["rep_b"].pk, "score": 9, "responded_on": "2026-03-02"},
    )
    assert_error(response, 422, "validation_error", "account_id")
    assert state() == before


def test_customer_success_works_a_complaint_handed_to_them(org, accounts):
    # given rep_a records a complaint on their account and hands it to customer success
    rep = token_client(org.rep_a)
    response = post(
        rep,
        "/complaints",
        {
            "account_id": accounts["rep_a"].pk,
            "summary": "安装延误",
            "severity": "major",
            "raised_on": "2026-03-02",
            "owner_id": org.cs.pk,
        },
    )
    assert response.status_code == 201, response.content
    complaint = response.json()
    assert complaint["owner"] == {"id": org.cs.pk, "name": org.cs.label}
    other = make_complaint(accounts["rep_a"])
    # then cs sees it (and not rep_a's other complaints) and resolves it
    cs = token_client(org.cs)
    listed = {r["id"] for r in cs.get(API + "/complaints").json()["results"]}
    assert complaint["id"] in listed and other.pk not in listed
    with clock.frozen(at("2026-03-09", "10:00")):
        response = patch(cs, f"/complaints/{complaint['id']}", {"status": "resolved"})
    assert response.status_code == 200, response.content
    assert response.json()["resolved_on"] == "2026-03-09"
    assert_error(cs.get(f"{API}/complaints/{other.pk}"), 404, "not_found")


# --- writes and errors --------------------------------------------------------------------------


def test_create_a_ticket_and_read_its_response_times(org, account):
    response = post(
        token_client(org.rep_a),
        "/service-tickets",
        {
            "account_id": account.pk,
            "subject": "系统报错",
            "priority": "high",
            "opened_at": "2026-03-02T17:30:00+08:00",
            "first_response_at": "2026-03-03T09:30:00+08:00",
            "external_id": "SD-1001",
            "source": "servicedesk",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["response_working_minutes"] == 60
    assert body["response_hours"] == "16.00"
    assert body["state"] == "responded"
    assert (body["external_id"], body["source"]) == ("SD-1001", "servicedesk")


def test_dates_in_the_wrong_order_are_a_422_naming_the_field(org, account):
    before = state()
    response = post(
        token_client(org.rep_a),
        "/service-tickets",
        {
            "account_id": account.pk,
            "subject": "系统报错",
            "opened_at": "2026-03-02T10:00:00+08:00",
            "resolved_at": "2026-03-01T10:00:00+08:00",
        },
    )
    body = assert_error(response, 422, "validation_error", "resolved_at")
    assert "before the time opened" in body["message"]
    assert state() == before


def test_a_negative_amount_is_a_422_naming_the_field(org, account):
    response = post(
        token_client(org.rep_a),
        "/renewals",
        {"account_id": account.pk, "due_on": "2026-06-30", "amount": "-10.00"},
    )
    body = assert_error(response, 422, "validation_error", "amount")
    assert "cannot be negative" in body["message"]
    assert Renewal.objects.count() == 0


def test_several_bad_fields_are_reported_together(org, account):
    response = post(
        token_client(org.rep_a),
        "/renewals",
        {"account_id": account.pk, "due_on": "2026-06-30", "amount": "-1", "status": "lost"},
    )
    body = assert_error(response, 422, "validation_error", "amount")
    assert {e["field"] for e in body["errors"]} == {"amount", "lost_reason"}


def test_a_schema_error_names_the_field(org, account):
    response = post(
        token_client(org.rep_a),
        "/complaints",
        {"account_id": account.pk, "summary": "x", "severity": "huge", "raised_on": "2026-03-02"},
    )
    assert_error(response, 422, "validation_error", "severity")


def test_patch_changes_only_the_fields_sent_and_can_reopen(org, account):
    complaint = make_complaint(account, status="resolved", resolved_on=dt.date(2026, 3, 3))
    client = token_client(org.rep_a)
    # reopening while the resolved date stays is refused, naming the date
    assert_error(
        patch(client, f"/complaints/{complaint.pk}", {"status": "open"}),
        422,
        "validation_error",
        "resolved_on",
    )
    response = patch(client, f"/complaints/{complaint.pk}", {"status": "open", "resolved_on": None})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["resolved_on"], body["summary"]) == (
        "open",
        None,
        complaint.summary,
    )


# --- filters ------------------------------------------------------------------------------------


def test_filters_search_and_sort(org, account):
    make_complaint(account, summary="发票开错", severity="minor")
    big = make_complaint(account, summary="设备停机", severity="major")
    make_complaint(account, summary="已解决", severity="major", status="closed")
    client = token_client(org.rep_a)

    def ids(**params):
        return [r["id"] for r in client.get(API + "/complaints", params).json()["results"]]

    assert ids(q="停机") == [big.pk]
    assert ids(severity="major", is_open=True) == [big.pk]
    assert len(ids(status="closed")) == 1
    assert_error(
        client.get(API + "/complaints", {"severity": "huge"}), 422, "validation_error", "severity"
    )


def test_renewals_due_within_days(org, account):
    with clock.frozen(at("2026-03-10", "09:00")):
        soon = make_renewal(account, due_on=dt.date(2026, 3, 31))
        make_renewal(account, due_on=dt.date(2026, 9, 30))
        make_renewal(account, due_on=dt.date(2026, 3, 20), status="renewed")
        body = token_client(org.rep_a).get(API + "/renewals", {"due_within": 30}).json()
    assert [r["id"] for r in body["results"]] == [soon.pk]


def test_pagination(org, account):
    for score in range(5):
        make_nps(account, score=score)
    body = token_client(org.rep_a).get(API + "/nps-responses", {"page": 2, "page_size": 2}).json()
    assert (body["count"], body["page"], len(body["results"])) == (5, 2, 2)
