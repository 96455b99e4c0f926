"""The visit data snapshot (issue 15 item 6, SPEC A8): beside the check-in form, the
account's last 30 days of order fulfilment, ticket response times, open complaints and
the knowledge searches (a hook until the knowledge app is merged); visibility is the
account's."""

import datetime as dt
from decimal import Decimal

import pytest

from salesops.aftersales.tests.factories import at, make_complaint, make_ticket
from salesops.customers.tests.factories import AccountFactory
from salesops.reports import snapshot
from salesops.revenue.tests.factories import DeliveryFactory, OrderFactory, make_contract

pytestmark = pytest.mark.django_db
# The reports tests' "today": Wednesday 2026-07-15 (ISO week 2026-W29); the window is
# 2026-06-16 … 2026-07-15.


@pytest.fixture
def account(org):
    return AccountFactory(owner=org.rep_a, name="杭州云帆智能科技有限公司")


@pytest.fixture
def history(account):
    contract = make_contract(account)
    for day, amount, status in (
        (dt.date(2026, 7, 1), "10000.00", "fulfilled"),
        (dt.date(2026, 7, 10), "5000.00", "open"),
        (dt.date(2026, 6, 20), "3000.00", "cancelled"),
        (dt.date(2026, 5, 1), "99999.00", "fulfilled"),  # before the window
    ):
        OrderFactory(contract=contract, ordered_on=day, amount=Decimal(amount), status=status)
    for week, status, actual in (
        ("2026-W26", "done", "2026-W26"),
        ("2026-W27", "planned", ""),  # overdue
        ("2026-W28", "done", "2026-W29"),  # done late
        ("2026-W29", "in_progress", ""),  # this week: not overdue yet
        ("2026-W20", "planned", ""),  # before the window
    ):
        DeliveryFactory(contract=contract, planned_week=week, status=status, actual_week=actual)
    make_ticket(
        account,
        opened_at=at("2026-07-01", "10:00"),
        first_response_at=at("2026-07-01", "11:00"),
        resolved_at=at("2026-07-02", "10:00"),
    )
    make_ticket(
        account,
        opened_at=at("2026-07-13", "10:00"),
        first_response_at=at("2026-07-13", "13:00"),  # 120 working minutes (lunch aside?)
    )
    make_ticket(account, opened_at=at("2026-07-14", "09:00"))  # waiting
    make_ticket(account, opened_at=at("2026-03-02", "10:00"))  # old, still unresolved
    make_complaint(account, summary="发货延迟", severity="major", raised_on=dt.date(2026, 7, 5))
    make_complaint(account, summary="发票抬头错误", raised_on=dt.date(2026, 1, 10))
    make_complaint(
        account, summary="已处理", raised_on=dt.date(2026, 7, 1), status="resolved",
        resolved_on=dt.date(2026, 7, 2),
    )  # fmt: skip
    # another account's records never count
    other = make_contract(AccountFactory(owner=account.owner, name="苏州别家科技有限公司"))
    OrderFactory(contract=other, ordered_on=dt.date(2026, 7, 2), amount=Decimal("777.00"))
    make_complaint(other.account, summary="别家投诉", raised_on=dt.date(2026, 7, 5))


def test_the_snapshot_counts_the_last_30_days(org, account, history):
    data = snapshot.account_snapshot(user=org.rep_a, pk=account.pk)
    assert (data.since, data.until) == (dt.date(2026, 6, 16), dt.date(2026, 7, 15))
    orders = data.orders
    assert orders["count"] == 3
    assert orders["ordered"] == Decimal("18000.00")
    assert orders["fulfilled"] == Decimal("10000.00")
    assert orders["open"] == Decimal("5000.00")
    assert orders["cancelled"] == Decimal("3000.00")
    assert orders["fulfilment"] == Decimal("66.7")  # 10,000 of the 15,000 not cancelled
    assert data.deliveries == {
        "planned": 4,
        "done": 2,
        "done_late": 1,
        "overdue": 1,
        "done_rate": Decimal("50.0"),
    }
    tickets = data.tickets
    assert tickets["count"] == 3  # opened in the window
    assert tickets["waiting"] == 1
    assert tickets["response_hours"] == Decimal("2.0")  # (1 h + 3 h) / 2
    assert data.open_tickets == 3  # the two of the window not resolved, and the old one
    assert data.complaints == {"total": 2, "major": 1, "minor": 1}
    assert [c.summary for c in data.latest_complaints] == ["发货延迟", "发票抬头错误"]
    assert data.knowledge == []  # the knowledge app's hook (not merged on this branch)


def test_the_fragment_shows_it_and_the_check_in_form_loads_it(org, account, history, client):
    client.force_login(org.rep_a)
    response = client.get(f"/reports/snapshot/account/{account.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html  # a fragment for htmx
    assert 'data-testid="account-snapshot"' in html
    assert "¥18,000.00" in html and "¥10,000.00" in html and "66.7 %" in html
    assert "发货延迟" in html and "别家投诉" not in html
    assert 'data-count="3"' in html  # unresolved tickets
    page = client.get(f"/activities/check-in/?account={account.pk}&kind=visit").content.decode()
    assert f'hx-get="/reports/snapshot/account/{account.pk}/"' in page
    assert 'hx-trigger="load"' in page


def test_an_empty_account_says_so(org, account, client):
    client.force_login(org.rep_a)
    html = client.get(f"/reports/snapshot/account/{account.pk}/").content.decode()
    assert "No orders in the last 30 days." in html
    assert "No open complaints." in html
    assert "No knowledge searches recorded for this account yet." in html


def test_only_those_who_see_the_account_get_its_snapshot(org, account, history, client):
    for user, status in (
        (org.rep_a, 200),
        (org.manager_east, 200),
        (org.director, 200),
        (org.rep_b, 404),
        (org.rep_d, 404),
        (org.manager_south, 404),
        (org.manager_sh, 404),  # rep A is in East, above Shanghai
    ):
        client.force_login(user)
        assert client.get(f"/reports/snapshot/account/{account.pk}/").status_code == status, user
    client.force_login(org.rep_a)
    assert client.get("/reports/snapshot/account/999999/").status_code == 404
    client.logout()
    assert client.get(f"/reports/snapshot/account/{account.pk}/").status_code == 302


def test_a_check_in_on_a_lead_loads_its_account_snapshot_only_when_it_has_one(org, account, client):
    from salesops.activities.tests.conftest import lead_for
    from salesops.leads.models import Lead

    lead = lead_for(org.rep_a)
    client.force_login(org.rep_a)
    page = client.get(f"/activities/check-in/?lead={lead.pk}").content.decode()
    assert 'data-testid="visit-snapshot"' not in page  # a new lead has no account yet
    Lead.objects.filter(pk=lead.pk).update(account=account)
    page = client.get(f"/activities/check-in/?lead={lead.pk}").content.decode()
    assert f'hx-get="/reports/snapshot/account/{account.pk}/"' in page


def test_the_snapshot_lists_the_knowledge_searches_made_for_the_account(client, org):
    from salesops.customers.tests.factories import AccountFactory
    from salesops.knowledge import services as knowledge_services
    from salesops.reports.snapshot import account_snapshot

    account = AccountFactory(owner=org.rep_a, name="杭州云帆智能科技有限公司")
    for text in ("设备停机", "设备停机", "价格太高"):
        knowledge_services.usage_record(
            actor=org.rep_a, action="searched", query=text, account=account
        )
    snapshot = account_snapshot(user=org.manager_east, pk=account.pk)
    assert [(row["query"], row["count"]) for row in snapshot.knowledge] == [
        ("设备停机", 2),
        ("价格太高", 1),
    ]
