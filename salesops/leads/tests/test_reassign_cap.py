"""L5: a manager's reassignment respects the new owner's daily lead cap unless the manager
overrides it with a reason; reassigning away frees the slot of today; a rep's own entry
never uses the cap."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from salesops.core import clock
from salesops.leads import selectors, services
from salesops.leads.models import Assignment, DailyLeadCount, Lead
from salesops.leads.tests.api_helpers import assert_error, post

from .factories import LeadFactory, intake, make_rule

pytestmark = pytest.mark.django_db


def count(user) -> int:
    row = DailyLeadCount.objects.filter(user=user, day=clock.today()).first()
    return row.count if row else 0


def set_cap(user, cap):
    user.daily_lead_cap = cap
    user.save(update_fields=["daily_lead_cap"])


def routed_to(user):
    make_rule(members=[{"user_id": user.pk}], name=f"to {user.pk}")
    return intake().lead


def test_over_the_cap_is_refused_naming_the_rep_cap_and_count(org):
    set_cap(org.rep_b, 1)
    routed_to(org.rep_b)
    lead = LeadFactory(owner=org.rep_a)
    assert count(org.rep_b) == 1
    with pytest.raises(ValidationError) as exc:
        services.lead_reassign(actor=org.manager_east, lead=lead, owner=org.rep_b, reason="busy")
    message = exc.value.message_dict["owner"][0]
    assert "Rep B" in message and "1 leads today" in message and "cap is 1" in message
    lead.refresh_from_db()
    assert lead.owner == org.rep_a
    assert count(org.rep_b) == 1
    assert Assignment.objects.filter(lead=lead).count() == 1


def test_override_with_a_reason_is_recorded_and_counted(org):
    set_cap(org.rep_b, 0)
    lead = LeadFactory(owner=org.rep_a)
    services.lead_reassign(
        actor=org.manager_east,
        lead=lead,
        owner=org.rep_b,
        reason="the customer asked for Rep B",
        override_cap=True,
    )
    lead.refresh_from_db()
    assert lead.owner == org.rep_b
    last = Assignment.objects.filter(lead=lead).last()
    assert (last.over_cap, last.reason, last.strategy) == (
        True,
        "the customer asked for Rep B",
        "manual",
    )
    assert count(org.rep_b) == 1
    # the timeline says so
    assert any("over the daily cap" in str(e.title) for e in selectors.timeline(lead))


def test_within_the_cap_counts_the_lead_on_the_new_owners_day(org):
    set_cap(org.rep_b, 2)
    lead = LeadFactory(owner=org.rep_a)
    services.lead_reassign(actor=org.manager_east, lead=lead, owner=org.rep_b, reason="swap")
    assert count(org.rep_b) == 1
    assert Assignment.objects.filter(lead=lead).last().over_cap is False


def test_reassigning_away_frees_todays_slot(org):
    set_cap(org.rep_a, 1)
    lead = routed_to(org.rep_a)
    assert (lead.owner, count(org.rep_a)) == (org.rep_a, 1)
    services.lead_reassign(actor=org.manager_east, lead=lead, owner=org.rep_b, reason="swap")
    assert count(org.rep_a) == 0
    assert count(org.rep_b) == 1
    # rep A has room again: routing gives the next lead to them
    assert intake().lead.owner == org.rep_a
    # back to the pool frees rep B's slot too
    services.lead_reassign(actor=org.manager_east, lead=lead, owner=None, reason="pool")
    assert count(org.rep_b) == 0


def test_a_reps_own_entry_does_not_use_the_cap_nor_free_a_slot(org):
    set_cap(org.rep_a, 1)
    routed_to(org.rep_a)
    own = LeadFactory(owner=org.rep_a)  # quick entry: kept, not counted
    assert own.owner == org.rep_a
    assert count(org.rep_a) == 1
    services.lead_reassign(actor=org.manager_east, lead=own, owner=org.rep_b, reason="swap")
    assert count(org.rep_a) == 1


def test_api_reassign_over_the_cap_is_422_on_owner_id_then_override(org, as_):
    set_cap(org.rep_b, 0)
    lead = LeadFactory(owner=org.rep_a)
    manager = as_("manager_east")
    url = f"/leads/{lead.pk}/reassign"
    body = assert_error(
        post(manager, url, {"owner_id": org.rep_b.pk, "reason": "busy"}),
        422,
        "validation_error",
        "owner_id",
    )
    assert "Rep B" in body["message"] and "cap is 0" in body["message"]
    assert Lead.objects.get(pk=lead.pk).owner == org.rep_a
    response = post(
        manager, url, {"owner_id": org.rep_b.pk, "reason": "busy", "override_cap": True}
    )
    assert response.status_code == 200, response.content
    rows = manager.get(f"/api/v1/leads/{lead.pk}/assignments").json()
    assert rows[-1]["over_cap"] is True


def test_lead_page_reassign_offers_the_override(client, org):
    set_cap(org.rep_b, 0)
    lead = LeadFactory(owner=org.rep_a)
    client.force_login(org.manager_east)
    page = client.get(lead.get_absolute_url()).content.decode()
    assert 'data-testid="override-cap"' in page
    url = reverse("leads:lead_reassign", args=[lead.pk])
    response = client.post(url, {"owner": org.rep_b.pk, "reason": "busy"})
    assert response.status_code == 422
    assert "daily cap is 0" in response.content.decode()
    response = client.post(url, {"owner": org.rep_b.pk, "reason": "busy", "override_cap": "on"})
    assert response.status_code == 302
    assert Lead.objects.get(pk=lead.pk).owner == org.rep_b


def test_quick_entry_says_own_leads_do_not_use_the_cap(client, org):
    client.force_login(org.rep_a)
    page = client.get(reverse("leads:quick_entry")).content.decode()
    assert 'data-testid="quick-cap-hint"' in page
