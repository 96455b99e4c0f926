"""Converting a lead into a customer its converter may not change writes nothing to that
customer: the lead waits for the owners' manager (notified), the converter learns nothing
about the customer, and the manager settles it from the lead page (convert into it or
hand the lead over). Through the API and the pages, as the rep and as the manager."""

from __future__ import annotations

import pytest
from django.test import Client

from salesops.customers.models import Account, Contact
from salesops.customers.tests.factories import credit_code, make_account, make_contact
from salesops.leads.models import Lead
from salesops.leads.tests.test_api import API, enter, patch, post
from salesops.notifications.models import Notification
from salesops.org.services import api_token_create

SECRET = "Secret Holdings"


def api(user) -> Client:
    _, key = api_token_create(user=user, name="tests")
    return Client(headers={"Authorization": f"Bearer {key}"})


def page(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def snapshot(account: Account) -> dict:
    """What a write into the account would change."""
    return {
        "contacts": sorted(account.contacts.values_list("pk", "name", "phone")),
        "history": account.history.count(),
        "accounts": Account.objects.count(),
        "contacts_total": Contact.objects.count(),
    }


def notified(user, lead_id) -> int:
    return Notification.objects.filter(recipient=user, link=f"/leads/{lead_id}/").count()


@pytest.fixture
def theirs(org):
    """rep_b's customer (same region as rep_a: manager_east sees both)."""
    account = make_account(org.rep_b, name=SECRET, credit_code=credit_code())
    make_contact(account, name="Their Contact")
    return account


def assert_says_nothing_about(response, account: Account, owner) -> None:
    text = response.content.decode()
    assert SECRET not in text
    assert owner.label not in text
    assert f"/customers/accounts/{account.pk}/" not in text


def test_credit_code_match_with_another_reps_account_waits_for_the_manager(
    org, theirs, django_capture_on_commit_callbacks
):
    rep = api(org.rep_a)
    lead_id = enter(rep)["id"]
    assert patch(rep, f"/leads/{lead_id}", {"credit_code": theirs.credit_code}).status_code == 200
    before = snapshot(theirs)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(rep, f"/leads/{lead_id}/convert")

    assert response.status_code == 202, response.content
    body = response.json()
    assert body["outcome"] == "review"
    assert "needs review by your manager" in body["message"]
    assert (body["account_id"], body["contact_id"]) == (None, None)
    assert (body["lead"]["account_id"], body["lead"]["status"]) == (None, "new")
    assert body["lead"]["review_state"] == "review"
    assert SECRET not in response.content.decode()
    assert org.rep_b.label not in response.content.decode()
    assert snapshot(theirs) == before  # nothing written to their account
    lead = Lead.objects.get(pk=lead_id)
    assert (lead.account_id, lead.contact_id, lead.status) == (None, None, "new")
    # the owners' manager hears of it; the other rep and the converter do not
    assert notified(org.manager_east, lead_id) == 1
    assert notified(org.rep_b, lead_id) == 0
    assert notified(org.rep_a, lead_id) == 0

    # asking again changes nothing and notifies nobody again
    with django_capture_on_commit_callbacks(execute=True):
        again = post(rep, f"/leads/{lead_id}/convert")
    assert again.status_code == 202
    assert notified(org.manager_east, lead_id) == 1
    # the rep cannot wave the review away
    refused = post(rep, f"/leads/{lead_id}/review", {"merge": False})
    assert refused.status_code == 422
    assert refused.json()["field"] == "review_state"
    assert Lead.objects.get(pk=lead_id).review_state == "review"

    # the rep's lead page: a neutral message, nothing about the customer
    rep_page = page(org.rep_a).get(f"/leads/{lead_id}/")
    assert rep_page.status_code == 200
    assert "needs review by your manager" in rep_page.content.decode()
    assert 'data-testid="review-dismiss"' not in rep_page.content.decode()
    assert_says_nothing_about(rep_page, theirs, org.rep_b)

    # the manager's queue and lead page show the match and how to settle it
    manager = page(org.manager_east)
    queue = manager.get("/leads/", {"review": "1"})
    assert f"/leads/{lead_id}/" in queue.content.decode()
    manager_page = manager.get(f"/leads/{lead_id}/").content.decode()
    assert 'data-testid="conversion-account"' in manager_page and SECRET in manager_page
    assert 'data-testid="convert"' in manager_page and 'name="owner"' in manager_page

    # the manager converts it into their customer
    converted = post(api(org.manager_east), f"/leads/{lead_id}/convert")
    assert converted.status_code == 200, converted.content
    assert converted.json()["account_id"] == theirs.pk
    lead.refresh_from_db()
    assert (lead.status, lead.account_id, lead.review_state) == ("converted", theirs.pk, "")
    assert lead.contact.account_id == theirs.pk
    # the rep, still the lead's owner, does not see the customer through it
    seen = rep.get(f"{API}/leads/{lead_id}")
    assert (seen.json()["account_id"], seen.json()["contact_id"]) == (None, None)
    rep_client = page(org.rep_a)
    for url in (f"/leads/{lead_id}/", f"/leads/{lead_id}/history/"):
        assert_says_nothing_about(rep_client.get(url), theirs, org.rep_b)
    assert SECRET in manager.get(f"/leads/{lead_id}/history/").content.decode()


def test_a_lead_whose_phone_belongs_to_another_reps_contact(
    org, theirs, django_capture_on_commit_callbacks
):
    """Quick entry keeps the rep's lead but links the known customer; the rep still may
    not see it, and converting leaves it alone."""
    known = theirs.contacts.get()
    rep = api(org.rep_a)
    lead = enter(rep, phone=known.phone)
    assert lead["account_id"] is None  # linked, but not shown to the rep
    assert Lead.objects.get(pk=lead["id"]).account_id == theirs.pk
    before = snapshot(theirs)
    assert_says_nothing_about(page(org.rep_a).get(f"/leads/{lead['id']}/"), theirs, org.rep_b)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(rep, f"/leads/{lead['id']}/convert")

    assert response.status_code == 202, response.content
    assert snapshot(theirs) == before
    assert notified(org.manager_east, lead["id"]) == 1


def test_the_page_converts_nothing_and_asks_the_manager_who_sees_both(
    org, django_capture_on_commit_callbacks
):
    """rep_d is in another region: the first manager above rep_a who sees both owners is
    the director."""
    account = make_account(org.rep_d, name=SECRET, credit_code=credit_code())
    rep = api(org.rep_a)
    lead_id = enter(rep, credit_code=account.credit_code)["id"]
    before = snapshot(account)
    client = page(org.rep_a)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/leads/{lead_id}/convert/", follow=True)

    assert response.status_code == 200
    assert "needs review by your manager" in response.content.decode()
    assert_says_nothing_about(response, account, org.rep_d)
    assert snapshot(account) == before
    assert Lead.objects.get(pk=lead_id).status == "new"
    assert notified(org.director, lead_id) == 1
    assert notified(org.manager_east, lead_id) == 0
    # the manager who cannot see the customer cannot settle it either
    east = page(org.manager_east).get(f"/leads/{lead_id}/").content.decode()
    assert SECRET not in east and "needs review by your manager" in east
    # the director hands it to the customer's owner
    director = page(org.director)
    assert SECRET in director.get(f"/leads/{lead_id}/").content.decode()
    handed = director.post(
        f"/leads/{lead_id}/reassign/", {"owner": org.rep_d.pk, "reason": "their customer"}
    )
    assert handed.status_code == 302
    assert Lead.objects.get(pk=lead_id).owner == org.rep_d


def test_a_manager_converts_into_a_customer_of_their_team(org, theirs):
    rep = api(org.rep_a)
    lead_id = enter(rep, credit_code=theirs.credit_code)["id"]
    response = post(api(org.manager_east), f"/leads/{lead_id}/convert")
    assert response.status_code == 200, response.content
    assert response.json()["account_id"] == theirs.pk


def test_converting_into_my_own_customer_still_works(org):
    mine = make_account(org.rep_a, name="Mine Ltd", credit_code=credit_code())
    rep = api(org.rep_a)
    lead_id = enter(rep, credit_code=mine.credit_code)["id"]
    response = post(rep, f"/leads/{lead_id}/convert")
    assert response.status_code == 200, response.content
    assert response.json()["account_id"] == mine.pk
    assert Contact.objects.filter(account=mine).count() == 1


def test_a_lead_already_flagged_as_a_possible_duplicate_still_tells_the_manager(
    org, theirs, django_capture_on_commit_callbacks
):
    """An intake review (a name that looked like a customer's) is not a conversion
    review: converting it still asks the owners' manager."""
    rep = api(org.rep_a)
    lead_id = enter(rep, credit_code=theirs.credit_code)["id"]
    Lead.objects.filter(pk=lead_id).update(review_state="review")
    with django_capture_on_commit_callbacks(execute=True):
        response = post(rep, f"/leads/{lead_id}/convert")
    assert response.status_code == 202
    assert notified(org.manager_east, lead_id) == 1
