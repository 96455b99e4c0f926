"""Leads against the shared visibility matrix (core/tests/visibility_matrix.py): who lists,
opens, changes which lead over the API. test_api.py checks every other lead endpoint."""

import pytest

from salesops.core.tests.visibility_matrix import ROLES, SEES, Case, assert_matrix
from salesops.leads.models import Channel

from .factories import LeadFactory, lead_data, make_channel

API = "/api/v1"
LEADS = Case(
    list=f"{API}/leads",
    detail=f"{API}/leads/{{pk}}",
    update={"city": "苏州市"},
    read_only=403,  # finance reads every lead and changes none
)
REPS = ("rep_a", "rep_b", "rep_c", "rep_d")


def leads_of(org, owners) -> dict:
    """One lead kept by each of ``owners`` (their own quick entry)."""
    channel = Channel.objects.filter(kind="website").first() or make_channel()
    return {
        owner: LeadFactory(channel=channel, owner=getattr(org, owner), **lead_data())
        for owner in owners
    }


@pytest.mark.parametrize("role", ROLES)
def test_owned_leads_follow_the_visibility_matrix(org, role):
    assert_matrix(LEADS, org=org, role=role, records=leads_of(org, REPS))


# The unassigned pool of a team: its members see it (to claim it; customer success sits
# in East too), as do the managers above.
POOL_SEES = {
    **SEES,
    "rep_a": SEES["rep_a"] | {"east pool"},
    "rep_b": SEES["rep_b"] | {"east pool"},
    "cs": SEES["cs"] | {"east pool"},
    "manager_east": SEES["manager_east"] | {"east pool"},
    "director": SEES["director"] | {"east pool"},
    "admin": SEES["admin"] | {"east pool"},
    "finance": SEES["finance"] | {"east pool"},
}


@pytest.mark.parametrize("role", ROLES)
def test_a_teams_pool_is_seen_by_its_reps_and_managers(org, role):
    # given a lead no rule could place, waiting in East's pool, and one lead per rep
    pool = LeadFactory(channel=make_channel(team=org.east), **lead_data())
    assert pool.owner_id is None and pool.team_id == org.east.pk
    records = {**leads_of(org, REPS), "east pool": pool}
    # (the pool is listed and opened; changing it is claiming it: test_api.py)
    case = Case(list=LEADS.list, detail=LEADS.detail)
    assert_matrix(case, org=org, role=role, records=records, sees=POOL_SEES)
