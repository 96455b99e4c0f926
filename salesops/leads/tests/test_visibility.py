"""Leads against the shared visibility matrix (core/tests/visibility_matrix.py): who lists,
opens, changes which lead over the API. test_api.py checks every other lead endpoint."""

import pytest
from django.urls import reverse

from salesops.core.tests.visibility_matrix import ROLES, SEES, Case, assert_matrix
from salesops.leads.models import Channel, Lead

from .factories import LeadFactory, lead_data, make_channel

API = "/api/v1"
LEADS = Case(
    list=f"{API}/leads",
    detail=f"{API}/leads/{{pk}}",
    update={"city": "苏州市"},
    read_only=403,  # finance reads every lead and changes none
)
REPS = ("rep_a", "rep_b", "rep_c", "rep_d")
MAX_LIST_QUERIES = 20  # the lead list page, whatever the number of leads


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


def test_a_managers_pools_include_the_subteams_and_are_read_without_joining_teams(
    client, org, django_assert_max_num_queries
):
    # given a pool lead in Shanghai (under East), one in South, and leads of the reps
    shanghai_channel = make_channel(team=org.shanghai)
    shanghai = LeadFactory(channel=shanghai_channel, **lead_data())
    south = LeadFactory(channel=make_channel(team=org.south), **lead_data())
    assert shanghai.owner_id is None and south.owner_id is None
    owned = leads_of(org, REPS)
    # then East's manager sees Shanghai's pool, not South's; Shanghai's manager likewise
    visible = set(Lead.objects.visible_to(org.manager_east).values_list("pk", flat=True))
    expected = {shanghai.pk} | {owned[r].pk for r in ("rep_a", "rep_b", "rep_c")}
    assert visible == expected
    assert set(Lead.objects.visible_to(org.manager_sh).values_list("pk", flat=True)) == {
        shanghai.pk,
        owned["rep_c"].pk,
    }
    assert south.pk in Lead.objects.visible_to(org.manager_south).values_list("pk", flat=True)
    # and the lead list counts them from the lead table's indexes, not a join to the teams
    client.force_login(org.manager_east)
    url = reverse("leads:lead_list")
    client.get(url)
    with django_assert_max_num_queries(MAX_LIST_QUERIES) as few:
        client.get(url)
    leads_of(org, REPS * 10)  # (the same owners: more of their leads)
    for _ in range(10):
        LeadFactory(channel=shanghai_channel, **lead_data())
    with django_assert_max_num_queries(MAX_LIST_QUERIES) as many:
        response = client.get(url)
    assert len(many) == len(few)
    assert response.context["page_obj"].paginator.count == 4 + 3 * 10 + 10
    scans = [  # the count and the page's keys (the page's 25 rows join their team)
        q["sql"]
        for q in many.captured_queries
        if q["sql"].startswith(
            ('SELECT COUNT(*) AS "__count" FROM "leads_lead"', 'SELECT "leads_lead"."id" AS "pk"')
        )
    ]
    assert len(scans) >= 2 and not any('JOIN "org_team"' in sql for sql in scans)
