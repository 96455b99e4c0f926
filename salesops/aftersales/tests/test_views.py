"""After-sales pages: lists with filters and export, detail with history, create/edit
forms; visibility on every page (another rep's record is a 404, finance only reads)."""

import csv
import io

import pytest
from openpyxl import load_workbook

from salesops.aftersales.models import Complaint, NpsResponse, Renewal, ServiceTicket
from salesops.aftersales.tests.factories import (
    make_complaint,
    make_nps,
    make_renewal,
    make_ticket,
)
from salesops.customers.tests.factories import make_contact

KINDS = {
    "complaints": (Complaint, make_complaint),
    "nps": (NpsResponse, make_nps),
    "tickets": (ServiceTicket, make_ticket),
    "renewals": (Renewal, make_renewal),
}


def row_ids(response) -> list[int]:
    html = response.content.decode()
    return [
        int(chunk.split('"')[0]) for chunk in html.split('data-testid="record-row" data-id="')[1:]
    ]


@pytest.fixture
def records(accounts):
    return {
        prefix: {owner: make(accounts[owner]) for owner in ("rep_a", "rep_b", "rep_c")}
        for prefix, (_model, make) in KINDS.items()
    }


@pytest.mark.parametrize(
    ("user", "sees"),
    [
        ("rep_a", {"rep_a"}),
        ("manager_east", {"rep_a", "rep_b", "rep_c"}),
        ("manager_sh", {"rep_c"}),
        ("finance", {"rep_a", "rep_b", "rep_c"}),
        ("rep_d", set()),
    ],
)
def test_lists_show_only_records_of_visible_accounts(client, org, records, user, sees):
    client.force_login(getattr(org, user))
    for prefix, by_owner in records.items():
        response = client.get(f"/aftersales/{prefix}/")
        assert response.status_code == 200
        assert set(row_ids(response)) == {by_owner[o].pk for o in sees}, prefix


def test_pages_need_a_login(client, records):
    for prefix, by_owner in records.items():
        for url in (f"/aftersales/{prefix}/", by_owner["rep_a"].get_absolute_url()):
            response = client.get(url)
            assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("prefix", KINDS)
def test_another_reps_record_is_404_on_every_page_and_nothing_changes(client, org, records, prefix):
    model = KINDS[prefix][0]
    theirs = records[prefix]["rep_b"]
    client.force_login(org.rep_a)
    base = f"/aftersales/{prefix}/{theirs.pk}/"
    for url in (base, base + "edit/", base + "history/"):
        assert client.get(url).status_code == 404, url
    assert client.post(base + "edit/", {"account": theirs.account_id}).status_code == 404
    assert model.history.filter(id=theirs.pk).count() == 1


@pytest.mark.parametrize("prefix", KINDS)
def test_finance_reads_but_cannot_create_or_edit(client, org, records, prefix):
    record = records[prefix]["rep_b"]
    client.force_login(org.finance)
    response = client.get(record.get_absolute_url())
    assert response.status_code == 200 and 'data-testid="edit"' not in response.content.decode()
    assert client.get(f"/aftersales/{prefix}/new/").status_code == 403
    assert client.get(f"/aftersales/{prefix}/{record.pk}/edit/").status_code == 404


def test_a_rep_records_a_complaint_from_the_form(client, org, account, contact):
    client.force_login(org.rep_a)
    page = client.get("/aftersales/complaints/new/", {"account": account.pk}).content.decode()
    assert f'<option value="{account.pk}" selected>' in page
    assert contact.name in page  # the chosen account's contacts are offered
    response = client.post(
        f"/aftersales/complaints/new/?account={account.pk}",
        {
            "account": account.pk,
            "contact": contact.pk,
            "severity": "major",
            "status": "open",
            "summary": "物流破损",
            "raised_on": "2026-03-02",
        },
    )
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"] == complaint.get_absolute_url()
    assert (complaint.owner, complaint.contact, complaint.created_by) == (
        org.rep_a,
        contact,
        org.rep_a,
    )
    detail = client.get(complaint.get_absolute_url()).content.decode()
    assert "物流破损" in detail and 'data-testid="edit"' in detail


def test_the_form_shows_the_services_errors_on_their_fields(client, org, account):
    client.force_login(org.rep_a)
    response = client.post(
        "/aftersales/tickets/new/",
        {
            "account": account.pk,
            "subject": "",
            "priority": "normal",
            "opened_at": "2026-03-02T10:00",
            "resolved_at": "2026-03-01T10:00",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "subject" in errors and "resolved_at" in errors
    assert ServiceTicket.objects.count() == 0


def test_a_forged_account_is_refused(client, org, accounts):
    client.force_login(org.rep_a)
    response = client.post(
        "/aftersales/renewals/new/",
        {
            "account": accounts["rep_b"].pk,
            "due_on": "2026-06-30",
            "status": "pending",
            "amount": "1",
        },
    )
    assert response.status_code == 200 and response.context["form"].errors["account"]
    assert Renewal.objects.count() == 0


def test_editing_a_renewal_and_its_history(client, org, account):
    renewal = make_renewal(account)
    client.force_login(org.rep_a)
    response = client.post(
        f"/aftersales/renewals/{renewal.pk}/edit/",
        {
            "account": account.pk,
            "due_on": "2026-06-30",
            "status": "lost",
            "amount": "12000.00",
            "lost_reason": "预算削减",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    renewal.refresh_from_db()
    assert (renewal.status, renewal.lost_reason) == ("lost", "预算削减")
    history = client.get(f"/aftersales/renewals/{renewal.pk}/history/").content.decode()
    assert "预算削减" in history


def test_the_contact_picker_follows_the_account(client, org, account, contact):
    client.force_login(org.rep_a)
    response = client.get(
        "/aftersales/nps/new/", {"part": "contact", "account": account.pk}, HTTP_HX_REQUEST="true"
    )
    assert f'<option value="{contact.pk}"' in response.content.decode()


def test_filters_and_export_hold_the_same_rows(client, org, account):
    make_complaint(account, severity="major", summary="严重")
    make_complaint(account, severity="minor", summary="轻微")
    client.force_login(org.rep_a)
    listed = client.get("/aftersales/complaints/", {"severity": "major"})
    assert len(row_ids(listed)) == 1
    response = client.get("/aftersales/complaints/export.csv", {"severity": "major"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][0] == "严重"
    xlsx = client.get("/aftersales/complaints/export.xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    assert sheet.max_row == 3


def test_bad_filters_are_explained(client, org, account):
    make_nps(account)
    client.force_login(org.rep_a)
    response = client.get("/aftersales/nps/", {"category": "fan"})
    assert 'data-testid="filter-errors"' in response.content.decode()
    assert row_ids(response) == []


def test_the_handler_edits_a_complaint_of_an_account_they_do_not_own(client, org, account, contact):
    """Customer success works complaints handed to them: the record's own account and
    contact stay selectable for them, and nothing else of the account owner's is listed."""
    other = make_contact(account, name="另一位联系人")
    complaint = make_complaint(account, contact=contact, owner=org.cs)
    client.force_login(org.cs)
    url = f"/aftersales/complaints/{complaint.pk}/edit/"
    page = client.get(url).content.decode()
    assert f'<option value="{account.pk}" selected>' in page
    assert f'<option value="{contact.pk}" selected>' in page
    assert other.name not in page
    response = client.post(
        url,
        {
            "account": account.pk,
            "contact": contact.pk,
            "severity": "minor",
            "status": "resolved",
            "summary": complaint.summary,
            "raised_on": "2026-03-02",
            "resolved_on": "2026-03-03",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    complaint.refresh_from_db()
    assert (complaint.status, complaint.owner, complaint.contact) == ("resolved", org.cs, contact)
