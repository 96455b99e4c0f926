"""Activities linked to deals (A1): the deal picker on the check-in screens (only the
account's deals the user may see), ``deal_id`` on the API (read and write, validated),
the ``deal`` filter of the list."""

from __future__ import annotations

import pytest
from django.urls import reverse

from salesops.activities import services
from salesops.activities.models import Activity
from salesops.pipeline.models import Deal, DealStatus
from salesops.pipeline.tests.factories import make_deal

from .conftest import account_for
from .test_api import API, post, token_client

CHECK_IN = reverse("activities:check_in")
pytestmark = pytest.mark.django_db


@pytest.fixture
def deals(org):
    """rep_a's account with two deals (one lost), rep_a's other account with one deal,
    and rep_b's deal."""
    account = account_for(org.rep_a)
    other = account_for(org.rep_a, name="苏州恒瑞精密机械有限公司")
    open_deal = make_deal(owner=org.rep_a, account=account, name="云帆 CRM")
    lost = make_deal(owner=org.rep_a, account=account, name="云帆 旧项目")
    Deal.objects.filter(pk=lost.pk).update(status=DealStatus.LOST)
    elsewhere = make_deal(owner=org.rep_a, account=other, name="恒瑞 ERP")
    theirs = make_deal(owner=org.rep_b, name="别人的商机")
    return account, open_deal, lost, elsewhere, theirs


# --- pages --------------------------------------------------------------------------------
def test_the_picker_offers_the_accounts_deals_open_first(client, org, deals):
    account, open_deal, lost, elsewhere, theirs = deals
    client.force_login(org.rep_a)
    page = client.get(f"{CHECK_IN}?account={account.pk}").content.decode()
    assert 'data-testid="deal-picker"' in page
    assert page.index("云帆 CRM") < page.index("云帆 旧项目")
    assert "恒瑞 ERP" not in page and "别人的商机" not in page
    # an account without deals shows no picker
    bare = account_for(org.rep_a, name="无商机有限公司")
    assert (
        'data-testid="deal-picker"'
        not in client.get(f"{CHECK_IN}?account={bare.pk}").content.decode()
    )


def test_check_in_links_the_picked_deal(client, org, deals):
    account, open_deal, *_ = deals
    client.force_login(org.rep_a)
    response = client.post(
        f"{CHECK_IN}?account={account.pk}",
        {"kind": "visit", "tag": "needs_tech", "seconds": "40", "deal": str(open_deal.pk)},
    )
    assert response.status_code == 302
    assert Activity.objects.get().deal == open_deal


def test_a_deal_of_another_account_is_refused_and_nothing_saved(client, org, deals):
    account, _open, _lost, elsewhere, _theirs = deals
    client.force_login(org.rep_a)
    response = client.post(
        f"{CHECK_IN}?account={account.pk}",
        {"kind": "call", "tag": "needs_tech", "seconds": "40", "deal": str(elsewhere.pk)},
    )
    assert response.status_code == 200
    assert 'data-testid="error-deal"' in response.content.decode()
    assert not Activity.objects.exists()


def test_check_in_from_a_deal_picks_it_and_its_account(client, org, deals):
    account, open_deal, _lost, _elsewhere, theirs = deals
    client.force_login(org.rep_a)
    page = client.get(f"{CHECK_IN}?deal={open_deal.pk}").content.decode()
    assert f'value="{open_deal.pk}" selected' in page
    response = client.post(
        f"{CHECK_IN}?deal={open_deal.pk}",
        {"kind": "call", "tag": "needs_tech", "seconds": "40", "deal": str(open_deal.pk)},
    )
    assert response.status_code == 302
    activity = Activity.objects.get()
    assert (activity.deal, activity.account) == (open_deal, account)
    # another rep's deal is a 404
    assert client.get(f"{CHECK_IN}?deal={theirs.pk}").status_code == 404


def test_finishing_an_open_activity_can_link_a_deal(client, org, deals):
    account, open_deal, *_ = deals
    started = services.activity_log(actor=org.rep_a, kind="call", account=account)
    client.force_login(org.rep_a)
    url = reverse("activities:activity_detail", args=[started.pk])
    assert 'data-testid="deal-picker"' in client.get(url).content.decode()
    response = client.post(url, {"tag": "needs_tech", "seconds": "50", "deal": str(open_deal.pk)})
    assert response.status_code == 302
    started.refresh_from_db()
    assert started.deal == open_deal and started.tag is not None


def test_the_list_filters_by_deal(client, org, deals):
    account, open_deal, lost, *_ = deals
    services.activity_log(
        actor=org.rep_a, kind="call", account=account, deal=open_deal, tag="needs_tech"
    )
    services.activity_log(actor=org.rep_a, kind="visit", account=account, tag="needs_tech")
    client.force_login(org.rep_a)
    page = client.get(reverse("activities:activity_list") + f"?deal={open_deal.pk}")
    body = page.content.decode()
    assert body.count('data-testid="activity-row"') == 1
    assert 'data-testid="filter-deal"' in body and 'data-testid="activity-deal"' in body


# --- API ------------------------------------------------------------------------------------
def test_api_writes_and_reads_deal_id(org, deals):
    account, open_deal, *_ = deals
    api = token_client(org.rep_a)
    response = post(
        api,
        "/activities",
        {"kind": "call", "deal_id": open_deal.pk, "tag": "needs_tech", "duration_seconds": 40},
    )
    assert response.status_code == 201, response.json()
    made = response.json()
    assert made["deal_id"] == open_deal.pk and made["account_id"] == account.pk
    services.activity_log(actor=org.rep_a, kind="visit", account=account, tag="needs_tech")
    listed = api.get(f"{API}/activities?deal={open_deal.pk}").json()
    assert [row["id"] for row in listed["results"]] == [made["id"]]


def test_api_refuses_another_reps_deal_and_a_deal_of_another_account(org, deals):
    account, _open, _lost, elsewhere, theirs = deals
    api = token_client(org.rep_a)
    response = post(api, "/activities", {"kind": "call", "deal_id": theirs.pk, "tag": "needs_tech"})
    assert response.status_code == 404
    response = post(
        api,
        "/activities",
        {"kind": "call", "account_id": account.pk, "deal_id": elsewhere.pk, "tag": "needs_tech"},
    )
    assert response.status_code == 422
    assert "deal" in str(response.json())
    assert not Activity.objects.exists()


def test_api_check_in_links_a_deal(org, deals):
    account, open_deal, _lost, _elsewhere, theirs = deals
    api = token_client(org.rep_a)
    started = services.activity_log(actor=org.rep_a, kind="call", account=account)
    response = post(
        api, f"/activities/{started.pk}/check-in", {"tag": "needs_tech", "deal_id": theirs.pk}
    )
    assert response.status_code == 404
    response = post(
        api, f"/activities/{started.pk}/check-in", {"tag": "needs_tech", "deal_id": open_deal.pk}
    )
    assert response.status_code == 200 and response.json()["deal_id"] == open_deal.pk


def test_a_manager_links_a_team_deal_but_not_another_teams(org, deals):
    account, open_deal, *_rest = deals
    activity = services.activity_log(
        actor=org.manager_east, kind="visit", deal=open_deal, tag="needs_tech"
    )
    assert activity.deal == open_deal and activity.account == account
    south = make_deal(owner=org.rep_d)
    api = token_client(org.manager_east)
    response = post(api, "/activities", {"kind": "call", "deal_id": south.pk, "tag": "needs_tech"})
    assert response.status_code == 404
