"""The Account 360 page and ``GET /api/v1/accounts/{id}/360``: every section from the
account's real records, visibility as for accounts (404 when invisible), and a query
count that does not grow with the number of records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from salesops.aftersales.models import Complaint, NpsResponse, Renewal, ServiceTicket
from salesops.aftersales.tests.factories import (
    at,
    make_complaint,
    make_nps,
    make_renewal,
    make_ticket,
)
from salesops.customers.tests.factories import make_account, make_contact
from salesops.reports import ltv
from salesops.revenue.models import Contract, Delivery, Invoice, Payment
from salesops.revenue.services import delivery_create
from salesops.revenue.tests.factories import make_contract, make_invoice, make_payment
from salesops.revenue.tests.test_api import client_for

TODAY = timezone.make_aware(dt.datetime(2026, 7, 15, 10, 0), timezone.get_default_timezone())
# The account has a signed contract: a customer, so customer success sees it too.
SEE = ("rep_a", "manager_east", "director", "admin", "finance", "cs")
NOT_SEE = ("rep_b", "rep_c", "rep_d", "manager_sh", "manager_south")
# The page's query budget, whatever the number of records: session and user, the team
# lookup, the account, 20 section queries, the history and the navigation's counters.
MAX_PAGE_QUERIES = 30


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def account(org):
    """rep_a's account with something in every section: a signatory and an IT lead, a
    ¥100,000 contract (30 % paid, the 60 % instalment due 2026-06-30 overdue), an invoice,
    a late milestone, a ticket answered in 30 working minutes, a major complaint, NPS
    answers in March and May, a pending renewal."""
    account = make_account(org.rep_a, name="华星科技")
    make_contact(account, name="张总", decision_role="signatory")
    make_contact(account, name="李工", decision_role="it_lead")
    contract = make_contract(account, number="HT-360-0001")
    make_payment(contract, "30000.00")
    make_invoice(contract, "30000.00", number="FP360001")
    delivery_create(actor=org.rep_a, contract=contract, name="系统上线", planned_week="2026-W20")
    make_ticket(
        account,
        subject="登录失败",
        opened_at=at("2026-03-02", "10:00"),
        first_response_at=at("2026-03-02", "10:30"),
    )
    make_complaint(account, summary="交付延期", severity="major")
    make_nps(account, score=9, responded_on=dt.date(2026, 3, 2))
    make_nps(account, score=5, responded_on=dt.date(2026, 5, 6))
    make_renewal(account, amount=Decimal("12000.00"), due_on=dt.date(2026, 9, 30))
    ltv.ltv_recompute(account=account)
    return account


def page(client, user, account):
    client.force_login(user)
    return client.get(reverse("customers:account_360", args=[account.pk]))


def test_the_page_shows_every_section_from_the_accounts_records(client, org, account):
    # When
    response = page(client, org.rep_a, account)
    # Then
    assert response.status_code == 200
    html = response.content.decode()
    for section in (
        "ltv",
        "chain",
        "contracts",
        "invoices",
        "deliveries",
        "tickets",
        "complaints",
        "nps",
        "renewals",
        "activities",
        "history",
    ):
        assert f'data-testid="a360-{section}"' in html, section
    data = response.context["data"]
    assert data.chain.reached == 2
    [row] = data.contracts
    assert row.paid == Decimal("30000.00") and row.paid_percent == Decimal("30.0")
    assert [s.instalment.sequence for s in row.overdue] == [2]
    assert row.overdue_amount == Decimal("60000.00")
    assert 'data-testid="overdue"' in html
    assert data.delivery_totals["late"] == 1
    assert 'data-late="1"' in html
    assert data.ticket_times["response_working_minutes"] == Decimal("30.0")
    assert data.open_complaints == {"major": 1, "minor": 0}
    assert [(m["month"], m["nps"]) for m in data.nps_trend] == [
        (dt.date(2026, 3, 1), 100),
        (dt.date(2026, 5, 1), -100),
    ]
    assert response.context["nps_chart"]["months"] == ["2026-03", "2026-05"]
    assert 'id="nps-data"' in html
    assert data.renewal_totals["pending"] == 1
    # LTV with its breakdown: 70,000 outstanding + 12,000 × NPS 7.0 / 10 × 0.5 (major complaint)
    assert data.ltv["total"] == Decimal("30000.00") + Decimal("74200.00")
    assert 'data-testid="ltv-breakdown"' in html
    assert ltv.DEFAULT_FORMULA.split(" ")[0] in html
    assert data.owner_ltv["accounts"] == 1
    assert data.links["payments"] == f"/revenue/payments/?account={account.pk}"


def test_the_account_detail_page_links_to_the_360_page(client, org, account):
    client.force_login(org.rep_a)
    html = client.get(reverse("customers:account_detail", args=[account.pk])).content.decode()
    assert reverse("customers:account_360", args=[account.pk]) in html


@pytest.mark.parametrize("name", SEE)
def test_who_sees_the_account_sees_its_360_page_and_json(client, org, account, name):
    user = getattr(org, name)
    assert page(client, user, account).status_code == 200
    response = client_for(user).get(f"/api/v1/accounts/{account.pk}/360")
    assert response.status_code == 200
    body = response.json()
    assert body["account"]["id"] == account.pk
    assert body["ltv"]["total"] == "104200.00"
    assert body["contracts"]["latest"][0]["overdue_instalments"][0]["outstanding"] == "60000.00"
    assert body["complaints"]["open"] == {"major": 1, "minor": 0}


@pytest.mark.parametrize("name", NOT_SEE)
def test_nobody_else_can_open_the_360_page_or_json(client, org, account, name):
    user = getattr(org, name)
    assert page(client, user, account).status_code == 404
    response = client_for(user).get(f"/api/v1/accounts/{account.pk}/360")
    assert response.status_code == 404
    assert "华星" not in response.content.decode()


def test_the_360_page_needs_a_login(client, account):
    response = client.get(reverse("customers:account_360", args=[account.pk]))
    assert response.status_code == 302
    assert "/login" in response["Location"]


def test_finance_sees_the_page_without_edit_controls(client, org, account):
    html = page(client, org.finance, account).content.decode()
    assert 'data-testid="a360-contracts"' in html
    assert 'data-testid="edit"' not in html


def test_the_ltv_by_rep_page_lists_the_reps_the_user_sees(client, org, account):
    other = make_account(org.rep_d)
    ltv.ltv_recompute(account=other)
    client.force_login(org.manager_east)
    html = client.get(reverse("customers:rep_ltv")).content.decode()
    assert f'data-owner="{org.rep_a.pk}"' in html
    assert f'data-owner="{org.rep_d.pk}"' not in html
    client.force_login(org.director)
    html = client.get(reverse("customers:rep_ltv")).content.decode()
    assert f'data-owner="{org.rep_d.pk}"' in html


def grow(account, n: int) -> None:
    """Add ``n`` of each related record (inserted in bulk: the page only reads them)."""
    contract = account.contracts.get(number="HT-360-0001")
    start = Contract.objects.count()
    contracts = Contract.objects.bulk_create(
        Contract(
            number=f"G-{account.pk}-{start + i}",
            account=account,
            owner=account.owner,
            amount=Decimal("1000.00"),
            status="signed",
            signed_on=dt.date(2026, 1, 1),
        )
        for i in range(n)
    )
    Payment.objects.bulk_create(
        Payment(
            contract=c, account=account, amount=Decimal("10.00"), received_on=dt.date(2026, 2, 1)
        )
        for c in [contract, *contracts][:n]
    )
    base = Invoice.objects.count()
    Invoice.objects.bulk_create(
        Invoice(
            number=f"GI{base + i}",
            contract=contract,
            account=account,
            amount=Decimal("10.00"),
            issued_on=dt.date(2026, 2, 1),
        )
        for i in range(n)
    )
    Delivery.objects.bulk_create(
        Delivery(contract=contract, account=account, name=f"M{i}", planned_week="2026-W10")
        for i in range(n)
    )
    ServiceTicket.objects.bulk_create(
        ServiceTicket(account=account, subject=f"T{i}", opened_at=at("2026-04-01", "09:00"))
        for i in range(n)
    )
    Complaint.objects.bulk_create(
        Complaint(
            account=account,
            owner=account.owner,
            summary=f"C{i}",
            severity="minor",
            raised_on=dt.date(2026, 4, 1),
        )
        for i in range(n)
    )
    NpsResponse.objects.bulk_create(
        NpsResponse(account=account, score=8, category="passive", responded_on=dt.date(2026, 6, 1))
        for i in range(n)
    )
    Renewal.objects.bulk_create(
        Renewal(account=account, due_on=dt.date(2026, 10, 1), amount=Decimal("100.00"))
        for i in range(n)
    )


@pytest.mark.parametrize("name", ["rep_a", "manager_east"])
def test_the_query_count_does_not_grow_with_the_number_of_records(
    client, org, account, name, django_assert_max_num_queries
):
    # Given: 10 of each record
    user = getattr(org, name)
    url = reverse("customers:account_360", args=[account.pk])
    client.force_login(user)
    grow(account, 9)
    client.get(url)  # the session and caches settle
    with django_assert_max_num_queries(MAX_PAGE_QUERIES) as few:
        client.get(url)
    # When: 100 of each
    grow(account, 90)
    with django_assert_max_num_queries(MAX_PAGE_QUERIES) as many:
        response = client.get(url)
    # Then
    assert len(many) == len(few)
    data = response.context["data"]
    assert len(data.contracts) == 10 and data.contract_totals["count"] == 100
    assert len(data.invoices) == 10 and data.invoice_totals["count"] == 100
    assert len(data.tickets) == 10 and data.ticket_times["count"] == 100


def test_the_json_query_count_does_not_grow_either(org, account):
    api = client_for(org.rep_a)
    url = f"/api/v1/accounts/{account.pk}/360"
    grow(account, 9)
    api.get(url)
    with CaptureQueriesContext(connection) as few:
        api.get(url)
    grow(account, 90)
    with CaptureQueriesContext(connection) as many:
        body = api.get(url).json()
    assert len(many) == len(few)
    assert len(body["tickets"]["latest"]) == 10 and body["tickets"]["count"] == 100


def test_the_ltv_by_rep_export_has_the_rows_the_page_shows(client, org, account):
    other = make_account(org.rep_d)
    ltv.ltv_recompute(account=other)
    client.force_login(org.manager_east)
    response = client.get(reverse("customers:rep_ltv_export", args=["csv"]))
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    owners = {line.split(",")[0] for line in lines[1:]}
    name = lambda user: user.display_name or user.username  # noqa: E731 - as the page
    assert name(org.rep_a) in owners and name(org.rep_d) not in owners
