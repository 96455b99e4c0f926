"""Leads, channels, routing rules and the dwell report over the REST API: real HTTP through
Django's test client, real personal tokens, real DB."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from salesops.core import clock
from salesops.customers.models import Account, Contact
from salesops.leads import services
from salesops.leads.models import DailyLeadCount, Inquiry, Lead
from salesops.leads.tests.api_helpers import (
    API,
    assert_error,
    enter,
    error_fields,
    get,
    ids,
    lead_payload,
    lead_state,
    patch,
    pool_lead,
    post,
)
from salesops.leads.tests.factories import make_channel, make_rule
from salesops.org.services import leave_create


# --- authentication -------------------------------------------------------------------------
def test_anonymous_is_401(org):
    assert_error(Client().get(API + "/leads"), 401, "unauthenticated")
    assert_error(post(Client(), "/leads", lead_payload()), 401, "unauthenticated")


# --- list and visibility --------------------------------------------------------------------
def test_list_visibility_by_role(org, as_):
    a = enter(as_("rep_a"))["id"]
    b = enter(as_("rep_b"))["id"]
    c = enter(as_("rep_c"))["id"]
    d = enter(as_("rep_d"))["id"]
    pool = pool_lead(org.east).pk
    everything = {a, b, c, d, pool}
    expected = {
        # a rep sees their own and the unassigned pool of their own team (to claim)
        "rep_a": {a, pool},
        "rep_b": {b, pool},
        "rep_c": {c},
        "rep_d": {d},
        # a manager sees the team's leads and the pool of the teams they manage
        "manager_east": {a, b, c, pool},
        "manager_sh": {c},
        "manager_south": {d},
        "director": everything,
        "admin": everything,
        "finance": everything,
    }
    for name, visible in expected.items():
        assert ids(get(as_(name), "/leads")) == visible, name


def test_list_item_shape(org, as_):
    created = enter(as_("rep_a"), phone="138 0013 8000", province="上海市", city="上海市")
    row = get(as_("rep_a"), "/leads").json()["results"][0]
    assert row == created
    assert row["phone"] == "+8613800138000"
    assert row["owner"] == {"id": org.rep_a.pk, "name": "Rep A"}
    assert row["channel"]["kind"] == "manual"
    assert set(row["channel"]) == {"id", "name", "kind"}
    assert row["team_id"] == org.east.pk
    assert row["touches"] == 1
    assert row["status"] == "new"
    assert row["custom"] == {}
    for key in (
        "email",
        "wechat",
        "credit_code",
        "address",
        "industry",
        "size_band",
        "product_line",
        "campaign",
        "invalid_reason",
        "assigned_at",
        "first_contact_at",
        "sla_due_at",
        "sla_state",
        "escalation_level",
        "review_state",
        "possible_duplicate_of_id",
        "account_id",
        "contact_id",
        "created_at",
    ):
        assert key in row


def test_list_filters_and_ordering(org, as_):
    manager = as_("manager_east")
    first = enter(as_("rep_a"), company="Aardvark Machines", phone="13911112222")
    second = enter(as_("rep_b"), company="Zebra Logistics")
    pool = pool_lead(org.east)
    services.lead_set_status(
        actor=org.manager_east,
        lead=Lead.objects.get(pk=second["id"]),
        status="invalid",
        invalid_reason="spam",
    )
    assert ids(get(manager, "/leads", status="open")) == {first["id"], pool.pk}
    assert ids(get(manager, "/leads", status="invalid")) == {second["id"]}
    assert ids(get(manager, "/leads", owner="none")) == {pool.pk}
    assert ids(get(manager, "/leads", owner=org.rep_b.pk)) == {second["id"]}
    assert ids(get(as_("rep_a"), "/leads", owner="me")) == {first["id"]}
    assert ids(get(manager, "/leads", q="1111222")) == {first["id"]}
    assert ids(get(manager, "/leads", q="zebra")) == {second["id"]}
    assert ids(get(manager, "/leads", team=org.east.pk, owner="none")) == {pool.pk}
    assert ids(get(manager, "/leads", channel=pool.channel_id)) == {pool.pk}
    assert ids(get(manager, "/leads", sla="none")) == {first["id"], second["id"], pool.pk}
    assert ids(get(manager, "/leads", review="true")) == set()
    # ordering: default newest first; a whitelisted field either way
    rows = get(manager, "/leads").json()["results"]
    assert [r["id"] for r in rows] == [pool.pk, second["id"], first["id"]]
    rows = get(manager, "/leads", ordering="company").json()["results"]
    assert [r["id"] for r in rows] == [first["id"], pool.pk, second["id"]]  # A…, Co …, Z…
    rows = get(manager, "/leads", ordering="-company").json()["results"]
    assert [r["id"] for r in rows] == [second["id"], pool.pk, first["id"]]
    # bad values are named, not ignored
    assert_error(
        get(manager, "/leads", ordering="owner__password"), 422, "validation_error", "ordering"
    )
    assert_error(get(manager, "/leads", status="won"), 422, "validation_error", "status")
    assert_error(get(manager, "/leads", owner="boss"), 422, "validation_error", "owner")
    assert_error(get(manager, "/leads", sla="late-ish"), 422, "validation_error", "sla")
    assert_error(get(manager, "/leads", channel="x"), 422, "validation_error", "channel")
    assert_error(get(manager, "/leads", page=0), 422, "validation_error", "page")


def test_list_pagination(org, as_):
    rep = as_("rep_a")
    for _ in range(3):
        enter(rep)
    body = get(rep, "/leads", page_size=2, page=2).json()
    assert (body["count"], body["page"], body["page_size"], len(body["results"])) == (3, 2, 2, 1)


@pytest.mark.parametrize("viewer", ["director", "manager_east", "rep_a"])
def test_list_query_count_does_not_grow_with_the_page(org, as_, viewer):
    channel = make_channel(team=org.east)
    owners = [org.rep_a, org.rep_b, org.rep_c, None]

    def add(n):
        for i in range(n):
            owner = owners[i % len(owners)]
            data = lead_payload()
            services.lead_intake(channel=channel, data=data, owner=owner)

    client = as_(viewer)
    add(2)
    get(client, "/leads")  # warm-up (token lookup caches, content types …)
    with CaptureQueriesContext(connection) as small:
        assert get(client, "/leads").status_code == 200
    add(28)
    with CaptureQueriesContext(connection) as large:
        body = get(client, "/leads", page_size=25).json()
    assert len(body["results"]) == min(25, body["count"])
    assert len(large) == len(small), [q["sql"] for q in large.captured_queries]
    # auth (2) + visibility (a manager's team walk) + count, ids, rows: never per row
    assert len(large) <= 12


# --- another rep's lead: 404, nothing changes -----------------------------------------------
def test_another_reps_lead_is_404_for_every_endpoint_and_unchanged(org, as_):
    lead_id = enter(as_("rep_b"))["id"]
    before = lead_state(lead_id)
    rep_a = as_("rep_a")
    url = f"/leads/{lead_id}"
    responses = [
        rep_a.get(API + url),
        patch(rep_a, url, {"city": "苏州市"}),
        post(rep_a, url + "/status", {"status": "invalid", "invalid_reason": "spam"}),
        post(rep_a, url + "/claim"),
        post(rep_a, url + "/reassign", {"owner_id": org.rep_a.pk, "reason": "mine now"}),
        post(rep_a, url + "/convert"),
        post(rep_a, url + "/review", {"merge": True}),
        rep_a.get(API + url + "/timeline"),
        rep_a.get(API + url + "/assignments"),
        # another manager's team: the same
        as_("manager_south").get(API + url),
        post(as_("manager_south"), url + "/reassign", {"owner_id": None, "reason": "x"}),
    ]
    for response in responses:
        assert_error(response, 404, "not_found")
    assert lead_state(lead_id) == before
    # and a lead that does not exist answers exactly the same
    missing = rep_a.get(API + "/leads/999999")
    assert missing.json() == responses[0].json()


def test_read_only_role_sees_but_cannot_change(org, as_):
    lead_id = enter(as_("rep_a"))["id"]
    finance = as_("finance")
    assert finance.get(API + f"/leads/{lead_id}").status_code == 200
    before = lead_state(lead_id)
    assert_error(patch(finance, f"/leads/{lead_id}", {"city": "苏州市"}), 403, "forbidden")
    assert_error(post(finance, f"/leads/{lead_id}/convert"), 403, "forbidden")
    assert_error(post(finance, "/leads", lead_payload()), 403, "forbidden")
    assert lead_state(lead_id) == before


# --- quick entry ----------------------------------------------------------------------------
def test_quick_entry_by_a_rep_is_kept_by_them(org, as_):
    response = post(as_("rep_a"), "/leads", lead_payload(email="li@example.com"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["outcome"] == "created"
    assert body["visible"] is True
    assert body["owner_name"] == "Rep A"
    assert body["id"] == body["lead"]["id"]
    lead = Lead.objects.get(pk=body["id"])
    assert (lead.owner, lead.created_by, lead.email) == (org.rep_a, org.rep_a, "li@example.com")
    assert as_("rep_a").get(API + f"/leads/{lead.pk}").json() == body["lead"]


def test_quick_entry_missing_fields_are_each_named(org, as_):
    before = Lead.objects.count()
    response = post(as_("rep_a"), "/leads", {})
    body = assert_error(response, 422, "validation_error", response.json()["field"])
    assert error_fields(response) == {"contact_name", "phone", "company", "need"}
    assert all(e["message"] for e in body["errors"])
    # blanks count as missing too
    blank = post(as_("rep_a"), "/leads", {"contact_name": " ", "phone": "", "company": ""})
    assert error_fields(blank) == {"contact_name", "phone", "company", "need"}
    assert Lead.objects.count() == before


def test_quick_entry_invalid_phone_and_credit_code(org, as_):
    rep = as_("rep_a")
    before = Lead.objects.count()
    assert_error(post(rep, "/leads", lead_payload(phone="12345")), 422, "validation_error", "phone")
    assert_error(
        post(rep, "/leads", lead_payload(credit_code="91310000MA1FL0000X")),
        422,
        "validation_error",
        "credit_code",
    )
    both = post(rep, "/leads", lead_payload(phone="abc", credit_code="123"))
    assert error_fields(both) == {"phone", "credit_code"}
    assert_error(
        post(rep, "/leads", lead_payload(owner_id=org.rep_b.pk)),
        422,
        "validation_error",
        "owner_id",
    )
    assert Lead.objects.count() == before


def test_duplicate_phone_in_another_format_is_attached(org, as_):
    rep_a = as_("rep_a")
    first = post(rep_a, "/leads", lead_payload(phone="138 0013 8000", company="Aurora Pumps"))
    assert first.status_code == 201, first.content
    lead_id = first.json()["id"]
    # when the same person asks again, phone written differently
    again = post(rep_a, "/leads", lead_payload(phone="+86-13800138000", need="Asking about prices"))
    # then it is a repeat inquiry on the same lead
    assert again.status_code == 200, again.content
    body = again.json()
    assert (body["outcome"], body["id"], body["matched_by"]) == ("attached", lead_id, "phone")
    assert body["visible"] is True
    assert body["lead"]["touches"] == 2
    assert Lead.objects.count() == 1
    assert Inquiry.objects.filter(lead_id=lead_id).count() == 2


def test_attached_to_a_lead_the_caller_cannot_see_reveals_only_id_and_owner(org, as_):
    lead_id = enter(as_("rep_a"), phone="13800138000")["id"]
    response = post(as_("rep_d"), "/leads", lead_payload(phone="138-0013-8000"))
    assert response.status_code == 200, response.content
    assert response.json() == {
        "outcome": "attached",
        "id": lead_id,
        "owner_name": "Rep A",
        "matched_by": "phone",
        "visible": False,
        "lead": None,
    }
    assert Lead.objects.get(pk=lead_id).touches == 2
    assert Lead.objects.count() == 1


# --- change a lead --------------------------------------------------------------------------
def test_patch_changes_only_what_was_sent(org, as_):
    rep = as_("rep_a")
    lead = enter(rep, email="a@example.com")
    url = f"/leads/{lead['id']}"
    response = patch(rep, url, {"city": "苏州市", "phone": "138 0013 8001"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["city"], body["phone"], body["email"]) == (
        "苏州市",
        "+8613800138001",
        "a@example.com",
    )
    before = lead_state(lead["id"])
    bad = patch(rep, url, {"phone": "12", "contact_name": "", "credit_code": "XYZ"})
    assert error_fields(bad) == {"phone", "contact_name", "credit_code"}
    assert_error(patch(rep, url, {"owner": 3}), 422, "validation_error", "owner")
    assert lead_state(lead["id"]) == before


def test_status_changes(org, as_):
    rep = as_("rep_a")
    lead_id = enter(rep)["id"]
    url = f"/leads/{lead_id}/status"
    assert_error(post(rep, url, {"status": "invalid"}), 422, "validation_error", "invalid_reason")
    assert_error(post(rep, url, {"status": "converted"}), 422, "validation_error", "status")
    assert_error(post(rep, url, {"status": "won"}), 422, "validation_error", "status")
    assert Lead.objects.get(pk=lead_id).status == "new"
    response = post(rep, url, {"status": "qualified"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "qualified"
    response = post(rep, url, {"status": "invalid", "invalid_reason": "no_need"})
    assert (response.json()["status"], response.json()["invalid_reason"]) == (
        "invalid",
        "no_need",
    )


def test_convert_returns_account_and_contact(org, as_):
    rep = as_("rep_a")
    lead_id = enter(rep, company="Harbor Valves", contact_name="Wang Li")["id"]
    response = post(rep, f"/leads/{lead_id}/convert")
    assert response.status_code == 200, response.content
    body = response.json()
    account = Account.objects.get(pk=body["account_id"])
    contact = Contact.objects.get(pk=body["contact_id"])
    assert (account.name, account.owner) == ("Harbor Valves", org.rep_a)
    assert (contact.name, contact.account) == ("Wang Li", account)
    assert body["lead"]["status"] == "converted"
    assert (body["lead"]["account_id"], body["lead"]["contact_id"]) == (account.pk, contact.pk)
    # a second time is refused
    assert_error(post(rep, f"/leads/{lead_id}/convert"), 422, "validation_error", "status")
    assert Account.objects.count() == 1


def test_review_of_a_possible_duplicate(org, as_):
    rep = as_("rep_a")
    first = enter(rep, company="华东精密机械有限公司")
    second = enter(rep, company="华东精密机器有限公司")  # alike, not certain
    third = enter(rep, company="华东精密机床有限公司")
    assert second["review_state"] == "review"
    assert second["possible_duplicate_of_id"] == first["id"]
    assert ids(get(rep, "/leads", review="true")) >= {second["id"]}
    # not a duplicate
    response = post(rep, f"/leads/{second['id']}/review", {"merge": False})
    assert response.status_code == 200, response.content
    assert response.json()["review_state"] == "dismissed"
    assert_error(
        post(rep, f"/leads/{second['id']}/review", {"merge": False}),
        422,
        "validation_error",
        "review_state",
    )
    # a duplicate: merged into the earlier lead
    assert third["review_state"] == "review"
    target = third["possible_duplicate_of_id"]
    assert target in (first["id"], second["id"])
    touches = Lead.objects.get(pk=target).touches
    merged = post(rep, f"/leads/{third['id']}/review", {"merge": True})
    assert merged.status_code == 200, merged.content
    assert (merged.json()["status"], merged.json()["invalid_reason"]) == ("invalid", "duplicate")
    assert Lead.objects.get(pk=target).touches == touches + 1
    assert Inquiry.objects.filter(lead_id=third["id"]).count() == 0
    assert_error(post(rep, f"/leads/{first['id']}/review", {}), 422, "validation_error", "merge")


# --- routing through the API ----------------------------------------------------------------
def owners_of_new_leads(client, n: int, **data) -> list[int | None]:
    """Register ``n`` leads as a non-rep (so they are routed); their owners in order."""
    owners = []
    for _ in range(n):
        body = post(client, "/leads", lead_payload(**data)).json()
        assert body["outcome"] == "created", body
        owner = body["lead"]["owner"]
        owners.append(owner["id"] if owner else None)
    return owners


def test_round_robin_alternates(org, as_):
    make_rule(members=[{"user_id": org.rep_a.pk}, {"user_id": org.rep_b.pk}])
    owners = owners_of_new_leads(as_("admin"), 4)
    assert owners in (
        [org.rep_a.pk, org.rep_b.pk] * 2,
        [org.rep_b.pk, org.rep_a.pk] * 2,
    )


def test_least_loaded_picks_the_rep_with_fewer_open_leads(org, as_):
    for _ in range(2):
        enter(as_("rep_a"))
    enter(as_("rep_b"))
    make_rule(
        members=[{"user_id": org.rep_a.pk}, {"user_id": org.rep_b.pk}],
        strategy="least_loaded",
    )
    # rep_b has 1 open lead, rep_a 2: the next one goes to rep_b
    assert owners_of_new_leads(as_("admin"), 1) == [org.rep_b.pk]
    loads = Counter(Lead.objects.open().values_list("owner_id", flat=True))
    assert loads[org.rep_a.pk] == loads[org.rep_b.pk] == 2


def test_weighted_three_to_one(org, as_):
    make_rule(
        members=[
            {"user_id": org.rep_a.pk, "weight": 3},
            {"user_id": org.rep_b.pk, "weight": 1},
        ],
        strategy="weighted",
    )
    owners = Counter(owners_of_new_leads(as_("admin"), 8))
    assert owners == {org.rep_a.pk: 6, org.rep_b.pk: 2}


def test_daily_cap_leave_and_inactive_reps(org, as_):
    org.rep_a.daily_lead_cap = 2
    org.rep_a.save()
    make_rule(
        members=[
            {"user_id": org.rep_a.pk},
            {"user_id": org.rep_b.pk},
            {"user_id": org.rep_c.pk},
        ]
    )
    today = clock.today()
    leave_create(user=org.rep_b, starts_on=today, ends_on=today + dt.timedelta(days=2))
    org.rep_c.is_active = False
    org.rep_c.save()
    admin = as_("admin")
    owners = owners_of_new_leads(admin, 3)
    # rep_b (on leave) and rep_c (inactive) are skipped; rep_a stops at the cap
    assert owners == [org.rep_a.pk, org.rep_a.pk, None]
    assert DailyLeadCount.objects.get(user=org.rep_a, day=today).count == 2
    pool = Lead.objects.get(owner__isnull=True)
    rows = admin.get(API + f"/leads/{pool.pk}/assignments").json()
    assert rows[-1]["owner"] is None
    assert "daily cap" in rows[-1]["reason"]


def test_reassign_needs_a_reason_and_is_recorded(org, as_):
    rule = make_rule(members=[{"user_id": org.rep_a.pk}], name="East inbound")
    assert owners_of_new_leads(as_("admin"), 1) == [org.rep_a.pk]
    lead_id = Lead.objects.get().pk
    manager = as_("manager_east")
    url = f"/leads/{lead_id}/reassign"
    before = lead_state(lead_id)
    assert_error(
        post(manager, url, {"owner_id": org.rep_b.pk, "reason": "  "}),
        422,
        "validation_error",
        "reason",
    )
    assert_error(  # South is not manager_east's team
        post(manager, url, {"owner_id": org.rep_d.pk, "reason": "busy"}),
        422,
        "validation_error",
        "owner_id",
    )
    assert_error(
        post(manager, url, {"owner_id": 999999, "reason": "busy"}),
        422,
        "validation_error",
        "owner_id",
    )
    assert_error(post(manager, url, {"reason": "busy"}), 422, "validation_error", "owner_id")
    # a rep may see their lead but not reassign it
    assert_error(
        post(as_("rep_a"), url, {"owner_id": org.rep_b.pk, "reason": "swap"}), 403, "forbidden"
    )
    assert lead_state(lead_id) == before
    response = post(manager, url, {"owner_id": org.rep_b.pk, "reason": "Rep A is travelling"})
    assert response.status_code == 200, response.content
    assert response.json()["owner"] == {"id": org.rep_b.pk, "name": "Rep B"}
    rows = manager.get(API + f"/leads/{lead_id}/assignments").json()
    assert [(r["strategy"], (r["owner"] or {}).get("id")) for r in rows] == [
        ("round_robin", org.rep_a.pk),
        ("manual", org.rep_b.pk),
    ]
    assert (rows[0]["rule_id"], rows[0]["rule_name"]) == (rule.pk, "East inbound")
    assert "East inbound" in rows[0]["reason"]
    assert rows[1]["reason"] == "Rep A is travelling"
    assert rows[1]["previous_owner"]["id"] == org.rep_a.pk
    assert rows[1]["actor"] == {"id": org.manager_east.pk, "name": "Manager East"}
    assert rows[1]["rule_id"] is None
    # back to the pool
    response = post(manager, url, {"owner_id": None, "reason": "Nobody has time"})
    assert response.json()["owner"] is None
    # rep_a sees it only as part of the East pool now; South never sees it
    assert as_("rep_a").get(API + f"/leads/{lead_id}").json()["owner"] is None
    assert_error(as_("rep_d").get(API + f"/leads/{lead_id}"), 404, "not_found")


def test_claim_from_the_pool(org, as_):
    lead = pool_lead(org.east)
    manager = as_("manager_east")
    response = post(manager, f"/leads/{lead.pk}/claim")
    assert response.status_code == 200, response.content
    assert response.json()["owner"]["id"] == org.manager_east.pk
    assert response.json()["assigned_at"] is not None
    rows = manager.get(API + f"/leads/{lead.pk}/assignments").json()
    assert rows[-1]["strategy"] == "claim"
    # taken already
    assert_error(post(manager, f"/leads/{lead.pk}/claim"), 422, "validation_error", "owner")
    # another region's manager does not even see it
    assert_error(post(as_("manager_south"), f"/leads/{lead.pk}/claim"), 404, "not_found")


def test_a_rep_claims_from_their_own_teams_pool_only(org, as_):
    east = pool_lead(org.east)
    south = pool_lead(org.south)
    assert_error(post(as_("rep_a"), f"/leads/{south.pk}/claim"), 404, "not_found")
    response = post(as_("rep_a"), f"/leads/{east.pk}/claim")
    assert response.status_code == 200, response.content
    assert response.json()["owner"]["id"] == org.rep_a.pk
    # now it is rep_a's: rep_b (same team) no longer sees it
    assert_error(as_("rep_b").get(API + f"/leads/{east.pk}"), 404, "not_found")


# --- timeline -------------------------------------------------------------------------------
def test_timeline_kinds(org, as_):
    make_rule(members=[{"user_id": org.rep_a.pk}])
    admin = as_("admin")
    lead_id = post(admin, "/leads", lead_payload(phone="13600136000")).json()["id"]
    assert post(admin, "/leads", lead_payload(phone="136 0013 6000")).status_code == 200
    assert post(admin, f"/leads/{lead_id}/status", {"status": "contacted"}).status_code == 200
    response = as_("rep_a").get(API + f"/leads/{lead_id}/timeline")
    assert response.status_code == 200, response.content
    rows = response.json()
    assert [r["kind"] for r in rows] == ["intake", "assignment", "inquiry", "status"]
    assert set(rows[0]) == {"at", "kind", "title", "detail", "actor", "data"}
    assert rows[1]["data"]["strategy"] == "round_robin"
    assert rows[3]["actor"] == "Ops Admin"
    assert [r["at"] for r in rows] == sorted(r["at"] for r in rows)


# --- dwell report ---------------------------------------------------------------------------
def test_dwell_report(org, as_):
    now = clock.now()
    a_old = enter(as_("rep_a"), company="Oldest Waiting Co")["id"]
    a_new = enter(as_("rep_a"))["id"]
    b_mid = enter(as_("rep_b"))["id"]
    Lead.objects.filter(pk=a_old).update(progressed_at=now - dt.timedelta(days=9))
    Lead.objects.filter(pk=b_mid).update(progressed_at=now - dt.timedelta(days=4))
    Lead.objects.filter(pk=a_new).update(progressed_at=now - dt.timedelta(days=1))
    month = clock.today().strftime("%Y-%m")

    body = as_("manager_east").get(API + "/leads/reports/dwell", {"month": month}).json()
    assert body["month"] == month
    assert [r["lead_id"] for r in body["overall"]] == [a_old, b_mid, a_new]
    top = body["overall"][0]
    assert top["company"] == "Oldest Waiting Co"
    assert top["owner"] == {"id": org.rep_a.pk, "name": "Rep A"}
    assert top["status"] == "new"
    assert 8.9 <= top["days"] <= 9.1
    by_owner = {row["owner"]["id"]: [r["lead_id"] for r in row["rows"]] for row in body["by_owner"]}
    assert by_owner == {org.rep_a.pk: [a_old, a_new], org.rep_b.pk: [b_mid]}
    by_team = {row["team"]["id"]: len(row["rows"]) for row in body["by_team"]}
    assert by_team == {org.east.pk: 3}
    # a rep sees only their own leads in it
    mine = as_("rep_b").get(API + "/leads/reports/dwell", {"month": month}).json()
    assert [r["lead_id"] for r in mine["overall"]] == [b_mid]
    # a bad month is named
    for bad in ("2026-13", "last month", "2026/05"):
        assert_error(
            as_("rep_a").get(API + "/leads/reports/dwell", {"month": bad}),
            422,
            "validation_error",
            "month",
        )
