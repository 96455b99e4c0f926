"""The leads API for configuration: channels and routing rules (admins and directors)."""

from __future__ import annotations

from salesops.leads.models import Assignment, Channel, DailyLeadCount, Lead, RoutingRule
from salesops.leads.tests.api_helpers import API, assert_error, error_fields, patch, post
from salesops.leads.tests.factories import make_channel, make_rule


# --- channels -------------------------------------------------------------------------------
def test_channels_are_for_admins_and_directors(org, as_):
    channel = make_channel(name="Trade show 2026", kind="event")
    for name in ("rep_a", "manager_east", "finance"):
        client = as_(name)
        assert_error(client.get(API + "/lead-channels"), 403, "forbidden")
        assert_error(client.get(API + f"/lead-channels/{channel.pk}"), 403, "forbidden")
        assert_error(
            post(client, "/lead-channels", {"name": "Mine", "kind": "website"}), 403, "forbidden"
        )
        assert_error(patch(client, f"/lead-channels/{channel.pk}", {"name": "x"}), 403, "forbidden")
        assert_error(post(client, f"/lead-channels/{channel.pk}/token"), 403, "forbidden")
    assert Channel.objects.get(pk=channel.pk).name == "Trade show 2026"
    assert not Channel.objects.filter(name="Mine").exists()
    for name in ("admin", "director"):
        listed = as_(name).get(API + "/lead-channels").json()
        assert channel.pk in {c["id"] for c in listed}


def test_channel_create_update_and_new_token(org, as_):
    admin = as_("admin")
    response = post(
        admin,
        "/lead-channels",
        {"name": "WeChat ads", "kind": "social", "campaign": "Spring", "team_id": org.east.pk},
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["kind"], created["campaign"], created["team_id"]) == (
        "social",
        "Spring",
        org.east.pk,
    )
    assert created["token"].startswith("ch_")
    url = f"/lead-channels/{created['id']}"
    assert admin.get(API + url).json() == created
    changed = patch(admin, url, {"is_active": False, "rate_limit": 10, "team_id": None})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["is_active"], changed.json()["rate_limit"]) == (False, 10)
    assert changed.json()["team_id"] is None
    assert changed.json()["name"] == "WeChat ads"
    # a new token replaces the old one
    renewed = post(admin, url + "/token")
    assert renewed.status_code == 200, renewed.content
    assert renewed.json()["token"] != created["token"]
    assert Channel.objects.get(pk=created["id"]).token == renewed.json()["token"]
    # validation names each field
    bad = post(admin, "/lead-channels", {"name": "", "kind": "carrier pigeon"})
    assert error_fields(bad) == {"name", "kind"}
    assert_error(
        post(admin, "/lead-channels", {"name": "X", "kind": "event", "team_id": 999999}),
        422,
        "validation_error",
        "team_id",
    )
    assert_error(admin.get(API + "/lead-channels/999999"), 404, "not_found")


# --- routing rules --------------------------------------------------------------------------
def test_routing_rules_are_for_admins_and_directors(org, as_):
    rule = make_rule(team=org.east)
    body = {"name": "Mine", "team_id": org.east.pk}
    for name in ("rep_a", "manager_east", "finance"):
        client = as_(name)
        assert_error(client.get(API + "/routing-rules"), 403, "forbidden")
        assert_error(post(client, "/routing-rules", body), 403, "forbidden")
        assert_error(client.get(API + f"/routing-rules/{rule.pk}"), 403, "forbidden")
        assert_error(patch(client, f"/routing-rules/{rule.pk}", {"name": "x"}), 403, "forbidden")
        assert_error(client.delete(API + f"/routing-rules/{rule.pk}"), 403, "forbidden")
        assert_error(post(client, "/routing-rules/test", {"province": "上海市"}), 403, "forbidden")
    assert list(RoutingRule.objects.values_list("name", flat=True)) == [rule.name]
    assert as_("director").get(API + "/routing-rules").status_code == 200


def test_routing_rule_crud(org, as_):
    admin = as_("director")
    response = post(
        admin,
        "/routing-rules",
        {
            "name": "Shanghai",
            "priority": 10,
            "condition": 'province == "上海市"',
            "strategy": "weighted",
            "members": [
                {"user_id": org.rep_c.pk, "weight": 2},
                {"user_id": org.rep_a.pk, "weight": 1},
            ],
        },
    )
    assert response.status_code == 201, response.content
    rule = response.json()
    assert rule["members"] == [
        {"user_id": org.rep_c.pk, "name": "Rep C", "weight": 2},
        {"user_id": org.rep_a.pk, "name": "Rep A", "weight": 1},
    ]
    url = f"/routing-rules/{rule['id']}"
    assert admin.get(API + url).json() == rule
    changed = patch(admin, url, {"members": [{"user_id": org.rep_b.pk}], "priority": 5})
    assert changed.status_code == 200, changed.content
    assert [m["user_id"] for m in changed.json()["members"]] == [org.rep_b.pk]
    assert (changed.json()["priority"], changed.json()["strategy"]) == (5, "weighted")
    # team instead of members
    patch(admin, url, {"members": [], "team_id": org.south.pk})
    assert admin.get(API + url).json()["team_id"] == org.south.pk
    listed = admin.get(API + "/routing-rules").json()
    assert [r["id"] for r in listed] == [rule["id"]]
    assert admin.delete(API + url).status_code == 204
    assert_error(admin.get(API + url), 404, "not_found")


def test_routing_rule_validation(org, as_):
    admin = as_("admin")
    body = assert_error(
        post(
            admin,
            "/routing-rules",
            {"name": "Bad", "condition": "province ==", "team_id": org.east.pk},
        ),
        422,
        "validation_error",
        "condition",
    )
    assert "Position" in body["message"]
    unknown = post(
        admin,
        "/routing-rules",
        {"name": "Bad", "condition": "nosuch == 1", "team_id": org.east.pk},
    )
    assert "Position 1" in assert_error(unknown, 422, "validation_error", "condition")["message"]
    assert_error(
        post(admin, "/routing-rules", {"name": "Nobody"}), 422, "validation_error", "team_id"
    )
    assert_error(
        post(
            admin,
            "/routing-rules",
            {"name": "Heavy", "members": [{"user_id": org.rep_a.pk, "weight": 0}]},
        ),
        422,
        "validation_error",
        "members",
    )
    assert_error(
        post(admin, "/routing-rules", {"name": "Ghost", "members": [{"user_id": 999999}]}),
        422,
        "validation_error",
        "members",
    )
    assert_error(
        post(
            admin,
            "/routing-rules",
            {"name": "Odd", "strategy": "random", "team_id": org.east.pk},
        ),
        422,
        "validation_error",
        "strategy",
    )
    assert not RoutingRule.objects.exists()


def test_routing_test_endpoint(org, as_):
    shanghai = make_rule(
        name="Shanghai",
        priority=10,
        condition='province == "上海市"',
        members=[{"user_id": org.rep_c.pk}],
    )
    make_rule(name="Everyone else", priority=20, team=org.east, strategy="least_loaded")
    admin = as_("admin")
    before = (Lead.objects.count(), DailyLeadCount.objects.count(), Assignment.objects.count())

    response = post(
        admin, "/routing-rules/test", {"company": "Test", "address": "上海市浦东新区张江路88号"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["placed"] is True
    assert body["rule"] == {"id": shanghai.pk, "name": "Shanghai"}
    assert body["strategy"] == "round_robin"
    assert body["candidates"] == [{"id": org.rep_c.pk, "name": "Rep C"}]
    assert body["province"] == "上海市"
    assert "Shanghai" in body["reason"]

    other = post(admin, "/routing-rules/test", {"province": "广东省"}).json()
    assert other["rule"]["name"] == "Everyone else"
    assert other["strategy"] == "least_loaded"
    assert {c["id"] for c in other["candidates"]} == {org.rep_a.pk, org.rep_b.pk, org.rep_c.pk}

    # nobody at work: not placed, and why
    org.rep_c.is_active = False
    org.rep_c.save()
    RoutingRule.objects.filter(name="Everyone else").update(is_active=False)
    unplaced = post(admin, "/routing-rules/test", {"province": "上海市"}).json()
    assert (unplaced["placed"], unplaced["rule"], unplaced["candidates"]) == (False, None, [])
    assert unplaced["skipped"] and "Shanghai" in unplaced["skipped"][0]

    assert_error(
        post(admin, "/routing-rules/test", {"phone": "12"}), 422, "validation_error", "phone"
    )
    assert_error(
        post(admin, "/routing-rules/test", {"owner_id": 1}), 422, "validation_error", "owner_id"
    )
    assert (
        Lead.objects.count(),
        DailyLeadCount.objects.count(),
        Assignment.objects.count(),
    ) == before
