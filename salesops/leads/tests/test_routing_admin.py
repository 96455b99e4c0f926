"""Routing administration (issue 13, item 4): each rep's daily cap shown and changed on
the routing page (audited, effective for the next lead; a manager only for his team), a
new rule's priority after the existing ones, and a warning naming the winning rule when
a saved rule is always caught by an earlier one or can never match."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.test import Client

from salesops.core import clock, orgsettings
from salesops.leads import services, shadowing
from salesops.leads.models import DailyLeadCount, RoutingRule
from salesops.leads.tests.api_helpers import API, client_for, patch, post
from salesops.org.models import UserChange

from .factories import make_rule

pytestmark = pytest.mark.django_db


def page(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def rule(pk, priority, condition, *, active=True, name=None):
    return SimpleNamespace(
        pk=pk, priority=priority, condition=condition, is_active=active, name=name or f"R{pk}"
    )


# --- shadow and impossible conditions ---------------------------------------------------------
@pytest.mark.parametrize(
    "earlier,later",
    [
        ("", "province == '上海市'"),
        ("province == '上海市'", "province == '上海市'"),
        ("province in ('上海市', '江苏省')", "province == '上海市'"),
        ("province == '上海市'", "province == '上海市' and industry == 'energy'"),
        ("province != '北京市'", "province in ('上海市', '江苏省')"),
        ("province == '上海市' or city == '苏州市'", "city == '苏州市' and industry != 'energy'"),
        ("employees >= 100", "employees > 500"),
        ("employees > 10 and employees < 1000", "employees in (50, 60)"),
        ("not (industry == 'energy')", "industry == 'retail'"),
    ],
)
def test_a_rule_an_earlier_one_always_catches_is_named(earlier, later):
    warnings = shadowing.rule_warnings(rule(2, 20, later), [rule(1, 10, earlier, name="早")])
    assert len(warnings) == 1
    assert "“早”" in warnings[0] and "10" in warnings[0]


@pytest.mark.parametrize(
    "earlier,later",
    [
        ("province == '上海市' and industry == 'energy'", "province == '上海市'"),
        ("province in ('上海市', '江苏省')", "province in ('上海市', '浙江省')"),
        ("province != '上海市'", "province == '上海市'"),
        ("industry == 'energy'", "province == '上海市'"),
        ("employees > 500", "employees >= 100"),
        ("len(company) > 3", "province == '上海市'"),
        ("province == '上海市'", ""),
    ],
)
def test_a_narrower_or_different_earlier_rule_is_no_shadow(earlier, later):
    assert shadowing.rule_warnings(rule(2, 20, later), [rule(1, 10, earlier)]) == []


def test_only_active_rules_tried_first_shadow():
    later = rule(2, 20, "province == '上海市'")
    assert shadowing.rule_warnings(later, [rule(1, 10, "", active=False)]) == []
    assert shadowing.rule_warnings(later, [rule(3, 30, "")]) == []
    # Same priority: the older rule (lower id) is tried first.
    assert shadowing.rule_warnings(later, [rule(1, 20, "")])
    assert shadowing.rule_warnings(rule(1, 20, "province == 'x'"), [rule(2, 20, "")]) == []


@pytest.mark.parametrize(
    "condition",
    [
        "province == '上海市' and province == '北京市'",
        "employees > 10 and employees < 5",
        "employees >= 10 and employees < 10",
        "industry in ('energy', 'retail') and industry not in ('energy', 'retail')",
        "industry == 'energy' and not industry == 'energy'",
        "False",
    ],
)
def test_a_condition_that_can_never_hold_is_named(condition):
    warnings = shadowing.rule_warnings(rule(1, 10, condition, name="不可能"), [])
    assert len(warnings) == 1 and "“不可能”" in warnings[0] and "never" in warnings[0]


@pytest.mark.parametrize(
    "condition",
    ["province == '上海市' or province == '北京市'", "employees > 5 and employees < 10", "True"],
)
def test_a_possible_condition_gets_no_warning(condition):
    assert shadowing.rule_warnings(rule(1, 10, condition), []) == []


# --- priorities and the warning on save -------------------------------------------------------
def test_a_new_rule_goes_after_the_existing_ones(org):
    make_rule(priority=5, members=[{"user_id": org.rep_a.pk}])
    make_rule(priority=70, members=[{"user_id": org.rep_a.pk}])
    assert services.next_priority() == 80
    created = services.routing_rule_create(
        actor=org.admin, name="新规则", members=[{"user_id": org.rep_b.pk}]
    )
    assert created.priority == 80
    html = page(org.admin).get("/leads/routing/new/").content.decode()
    assert 'name="priority" value="90"' in html


def test_the_api_puts_a_rule_without_priority_last_and_names_what_shadows_it(org):
    winner = make_rule(name="全部线索", priority=10, members=[{"user_id": org.rep_a.pk}])
    admin = client_for(org.admin)
    response = post(
        admin,
        "/routing-rules",
        {
            "name": "上海",
            "condition": "province == '上海市'",
            "members": [{"user_id": org.rep_b.pk}],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["priority"] == 20
    assert len(body["warnings"]) == 1 and "全部线索" in body["warnings"][0]
    # Moving it before the catch-all clears the warning; the catch-all gets none.
    moved = patch(admin, f"/routing-rules/{body['id']}", {"priority": 5})
    assert moved.status_code == 200, moved.content
    assert moved.json()["warnings"] == []
    listed = {r["id"]: r["warnings"] for r in admin.get(API + "/routing-rules").json()}
    assert listed == {body["id"]: [], winner.pk: []}


def test_saving_a_shadowed_rule_on_the_page_warns_with_the_winner(org):
    make_rule(
        name="华东全部",
        priority=10,
        condition="province in ('上海市', '江苏省')",
        members=[{"user_id": org.rep_a.pk}],
    )
    response = page(org.admin).post(
        "/leads/routing/new/",
        {
            "name": "上海专线",
            "priority": "50",
            "is_active": "on",
            "condition": "province == '上海市'",
            "strategy": "round_robin",
            "member_user": [str(org.rep_b.pk)],
            "member_weight": ["1"],
        },
        follow=True,
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert RoutingRule.objects.filter(name="上海专线").exists()
    assert "华东全部" in text and "上海专线" in text
    warnings = [m for m in response.context["messages"] if m.level_tag == "warning"]
    assert len(warnings) == 1 and "华东全部" in str(warnings[0])
    # The list marks the rule too.
    assert 'data-testid="rule-warning"' in text


def test_an_impossible_rule_is_saved_with_a_warning(org):
    response = page(org.admin).post(
        "/leads/routing/new/",
        {
            "name": "矛盾",
            "priority": "50",
            "is_active": "on",
            "condition": "province == '上海市' and province == '北京市'",
            "strategy": "round_robin",
            "member_user": [str(org.rep_b.pk)],
            "member_weight": ["1"],
        },
        follow=True,
    )
    warnings = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
    assert len(warnings) == 1 and "矛盾" in warnings[0]


def test_a_rule_without_problems_saves_silently(org):
    response = page(org.admin).post(
        "/leads/routing/new/",
        {
            "name": "上海",
            "priority": "50",
            "is_active": "on",
            "condition": "province == '上海市'",
            "strategy": "round_robin",
            "member_user": [str(org.rep_b.pk)],
            "member_weight": ["1"],
        },
        follow=True,
    )
    assert not [m for m in response.context["messages"] if m.level_tag == "warning"]


# --- daily caps -------------------------------------------------------------------------------
def test_the_routing_page_shows_each_reps_count_and_cap(org):
    default = orgsettings.current().default_daily_lead_cap
    make_rule(name="东区", members=[{"user_id": org.rep_a.pk}])
    org.rep_b.daily_lead_cap = 3
    org.rep_b.save()
    DailyLeadCount.objects.create(user=org.rep_a, day=clock.today(), count=2)
    response = page(org.admin).get("/leads/routing/")
    rows = {r.user.pk: r for r in response.context["cap_rows"]}
    assert (rows[org.rep_a.pk].today, rows[org.rep_a.pk].cap) == (2, None)
    assert rows[org.rep_a.pk].effective == default
    assert rows[org.rep_a.pk].rules == ["东区"]
    assert (rows[org.rep_b.pk].today, rows[org.rep_b.pk].effective) == (0, 3)
    assert {org.rep_c.pk, org.rep_d.pk} <= set(rows)
    text = response.content.decode()
    assert f"2 / {default}" in text and "0 / 3" in text


def test_the_caps_list_is_searchable_and_paginated(org, settings):
    settings.SALESOPS = {**settings.SALESOPS, "PAGE_SIZE": 2}
    client = page(org.admin)
    found = client.get("/leads/routing/caps/", {"q": org.rep_d.username})
    assert [r.user.pk for r in found.context["cap_rows"]] == [org.rep_d.pk]
    first = client.get("/leads/routing/caps/")
    assert len(first.context["cap_rows"]) == 2 and first.context["page_obj"].has_next()


def test_an_admin_changes_a_cap_audited_and_routing_uses_it_at_once(org):
    make_rule(name="A", members=[{"user_id": org.rep_a.pk}, {"user_id": org.rep_b.pk}])
    decision, _snapshot, _lead = services.routing_test({"company": "样例"})
    assert org.rep_a.pk in decision.candidates
    response = page(org.admin).post(
        f"/leads/routing/caps/{org.rep_a.pk}/",
        {"daily_lead_cap": "0", "next": "/leads/routing/"},
    )
    assert response.status_code == 302 and response["Location"] == "/leads/routing/"
    org.rep_a.refresh_from_db()
    assert org.rep_a.daily_lead_cap == 0
    change = UserChange.objects.filter(user=org.rep_a, field="daily_lead_cap").latest("pk")
    assert change.changed_by == org.admin and change.after_value == "0"
    decision, _snapshot, _lead = services.routing_test({"company": "样例"})
    assert org.rep_a.pk not in decision.candidates and org.rep_b.pk in decision.candidates
    # Blank: back to the organisation's default.
    page(org.admin).post(f"/leads/routing/caps/{org.rep_a.pk}/", {"daily_lead_cap": ""})
    org.rep_a.refresh_from_db()
    assert org.rep_a.daily_lead_cap is None


@pytest.mark.parametrize("value", ["-1", "abc", "1.5", "100000"])
def test_a_bad_cap_is_refused_naming_the_field(org, value):
    org.rep_a.daily_lead_cap = 7
    org.rep_a.save()
    before = UserChange.objects.count()
    response = page(org.admin).post(
        f"/leads/routing/caps/{org.rep_a.pk}/", {"daily_lead_cap": value}, follow=True
    )
    errors = [str(m) for m in response.context["messages"] if m.level_tag == "error"]
    assert len(errors) == 1 and "Daily lead cap" in errors[0]
    org.rep_a.refresh_from_db()
    assert org.rep_a.daily_lead_cap == 7 and UserChange.objects.count() == before


def test_a_manager_sees_and_changes_only_his_teams_caps(org):
    client = page(org.manager_east)
    response = client.get("/leads/routing/caps/")
    assert response.status_code == 200
    shown = {r.user.pk for r in response.context["cap_rows"]}
    assert {org.rep_a.pk, org.rep_b.pk, org.rep_c.pk} <= shown
    assert org.rep_d.pk not in shown
    assert (
        client.post(f"/leads/routing/caps/{org.rep_b.pk}/", {"daily_lead_cap": "4"}).status_code
        == 302
    )
    org.rep_b.refresh_from_db()
    assert org.rep_b.daily_lead_cap == 4
    assert (
        client.post(f"/leads/routing/caps/{org.rep_d.pk}/", {"daily_lead_cap": "4"}).status_code
        == 404
    )
    org.rep_d.refresh_from_db()
    assert org.rep_d.daily_lead_cap is None
    # The routing rules stay for admins and directors.
    assert client.get("/leads/routing/").status_code == 403


def test_a_rep_sees_no_caps(org):
    client = page(org.rep_a)
    assert client.get("/leads/routing/caps/").status_code == 403
    assert (
        client.post(f"/leads/routing/caps/{org.rep_a.pk}/", {"daily_lead_cap": "99"}).status_code
        == 403
    )
    org.rep_a.refresh_from_db()
    assert org.rep_a.daily_lead_cap is None


def test_the_caps_and_the_warning_read_in_chinese(org):
    make_rule(name="全部", priority=10, members=[{"user_id": org.rep_a.pk}])
    org.admin.language = "zh-hans"
    org.admin.save()
    client = page(org.admin)
    response = client.post(
        "/leads/routing/new/",
        {
            "name": "上海",
            "priority": "50",
            "is_active": "on",
            "condition": "province == '上海市'",
            "strategy": "round_robin",
            "member_user": [str(org.rep_b.pk)],
            "member_weight": ["1"],
        },
        follow=True,
    )
    text = response.content.decode()
    assert "每日线索上限" in text and "今日已分配" in text
    assert "会先被尝试" in text and "“全部”" in text
    bad = client.post(f"/leads/routing/caps/{org.rep_a.pk}/", {"daily_lead_cap": "-3"}, follow=True)
    assert "请输入 0 到 10000 之间的整数" in bad.content.decode()


def test_a_new_catch_all_before_existing_rules_names_the_rules_it_now_catches(org):
    make_rule(
        name="上海",
        priority=50,
        condition="province == '上海市'",
        members=[{"user_id": org.rep_a.pk}],
    )
    make_rule(name="停用", priority=60, is_active=False, members=[{"user_id": org.rep_a.pk}])
    response = post(
        client_for(org.admin),
        "/routing-rules",
        {"name": "兜底", "priority": 1, "members": [{"user_id": org.rep_b.pk}]},
    )
    assert response.status_code == 201, response.content
    warnings = response.json()["warnings"]
    assert len(warnings) == 1
    assert "“兜底”" in warnings[0] and "“上海”" in warnings[0] and "50" in warnings[0]
