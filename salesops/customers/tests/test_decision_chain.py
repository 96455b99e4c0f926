"""The decision chain (SPEC C1): contacts grouped by role in chain order, the count of
distinct roles reached (read by the healthy-deal check), on the account page and the API."""

import pytest
from django.test import Client

from salesops.customers import selectors
from salesops.customers.tests.factories import make_account, make_contact
from salesops.org.services import api_token_create


@pytest.fixture
def account(org):
    account = make_account(org.rep_a, name="链条公司")
    make_contact(account, name="Zhao", decision_role="purchaser")
    make_contact(account, name="Bai", decision_role="signatory")
    make_contact(account, name="Qian", decision_role="purchaser")
    make_contact(account, name="Unknown", decision_role="other")
    return account


def test_the_chain_lists_every_role_in_order_with_its_contacts(account):
    chain = selectors.decision_chain(account)
    assert [link.role for link in chain.links] == [
        "signatory",
        "it_lead",
        "finance_approver",
        "purchaser",
        "user",
    ]
    by_role = {link.role: [c.name for c in link.contacts] for link in chain.links}
    assert by_role["purchaser"] == ["Qian", "Zhao"]
    assert by_role["signatory"] == ["Bai"]
    assert [link.role for link in chain.missing] == ["it_lead", "finance_approver", "user"]
    # a contact without a known role is shown but reaches no role
    assert [c.name for c in chain.others] == ["Unknown"]
    assert (chain.reached, chain.total) == (2, 5)


def test_distinct_roles_reached_counts_roles_not_people_in_one_query(
    account, django_assert_num_queries
):
    with django_assert_num_queries(1):
        assert selectors.distinct_roles_reached(account) == 2
    with django_assert_num_queries(1):
        selectors.decision_chain(account)


def test_distinct_roles_for_many_accounts_at_once(org, account, django_assert_num_queries):
    empty = make_account(org.rep_a)
    three = make_account(org.rep_b)
    for role in ("signatory", "it_lead", "finance_approver"):
        make_contact(three, decision_role=role)
    with django_assert_num_queries(1):
        counts = selectors.distinct_roles_reached_by_account([account.pk, empty.pk, three.pk])
    assert counts == {account.pk: 2, three.pk: 3}
    assert selectors.distinct_roles_reached(empty) == 0


def test_the_account_page_shows_the_chain_reached_and_missing(client, org, account):
    client.force_login(org.rep_a)
    html = client.get(account.get_absolute_url()).content.decode()
    assert 'data-testid="decision-chain-summary" data-reached="2"' in html
    assert "2 of 5 roles reached" in html
    assert 'data-role="signatory" data-reached="1"' in html
    assert 'data-role="it_lead" data-reached="0"' in html
    assert "1 contact with no decision role" in html


def test_the_chain_api_follows_the_accounts_visibility(org, account):
    def get(user):
        _, key = api_token_create(user=user, name="t")
        client = Client(headers={"Authorization": f"Bearer {key}"})
        return client.get(f"/api/v1/accounts/{account.pk}/decision-chain")

    body = get(org.rep_a).json()
    assert body["reached"] == 2 and body["total"] == 5
    assert body["missing"] == ["it_lead", "finance_approver", "user"]
    assert [c["name"] for c in body["roles"][3]["contacts"]] == ["Qian", "Zhao"]
    assert [c["name"] for c in body["others"]] == ["Unknown"]
    for user in (org.manager_east, org.finance, org.director):
        assert get(user).status_code == 200
    for user in (org.rep_b, org.manager_south, org.cs):
        assert get(user).status_code == 404
