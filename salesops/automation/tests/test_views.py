"""The automation pages through Django's test client, as a sales-ops admin would use them:
the rules list, the builder (create, edit = new version), live validation, "try it on
record #N", the on/off switch, the rule page and the firings page."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from salesops.automation.models import Rule, RuleVersion
from salesops.core import clock
from salesops.customers.tests.factories import make_account

from .conftest import at, make_rule, tick

pytestmark = pytest.mark.django_db

NOTIFY_OWNER = [{"kind": "notify", "to": ["owner"], "title": "Follow up {name}"}]
NOTIFY_DIRECTORS = [{"kind": "notify", "to": ["role:director"], "title": "Good morning"}]


def builder_post(**overrides) -> dict:
    """What the builder posts for a timer on accounts' created_at, 60 calendar minutes."""
    data = {
        "name": "Follow up new accounts",
        "description": "",
        "trigger_type": "timer",
        "entity": "account",
        "event": "",
        "field": "created_at",
        "minutes": "60",
        "unit": "calendar",
        "unless": "",
        "repeat_every": "",
        "max_level": "",
        "cron": "",
        "condition": 'level == "A"',
        "actions": json.dumps(NOTIFY_OWNER),
    }
    data.update(overrides)
    return data


def page(response) -> str:
    return response.content.decode()


def state(response) -> dict:
    """The builder's Alpine.js state as the page hands it over."""
    match = re.search(
        r'<script id="builder-state" type="application/json">(.*?)</script>', page(response), re.S
    )
    assert match, "the builder state is missing"
    return json.loads(match.group(1))


@pytest.fixture
def admin_client(client, org):
    client.force_login(org.admin)
    return client


@pytest.fixture
def rule(org):
    return make_rule(
        org.admin,
        name="A-level accounts",
        trigger_type="timer",
        entity="account",
        trigger={"field": "created_at", "minutes": 60, "unit": "calendar"},
        condition='level == "A"',
        actions=NOTIFY_OWNER,
    )


# --- who may open the pages ---------------------------------------------------------------


@pytest.mark.parametrize("username", ["rep_a", "manager_east", "finance", "cs"])
def test_only_rule_managers_may_open_any_automation_page(client, org, rule, username):
    client.force_login(getattr(org, username))
    gets = [
        reverse("automation:rule_list"),
        reverse("automation:rule_create"),
        reverse("automation:rule_detail", args=[rule.pk]),
        reverse("automation:rule_edit", args=[rule.pk]),
        reverse("automation:version_detail", args=[rule.pk, 1]),
        reverse("automation:firing_list"),
        reverse("automation:delivery_list"),
    ]
    posts = [
        reverse("automation:rule_create"),
        reverse("automation:rule_edit", args=[rule.pk]),
        reverse("automation:rule_toggle", args=[rule.pk]),
        reverse("automation:validate") + "?target=condition",
        reverse("automation:preview_draft"),
        reverse("automation:rule_preview", args=[rule.pk]),
    ]
    for url in gets:
        assert client.get(url).status_code == 403, url
    for url in posts:
        assert client.post(url, builder_post(name="Sneaky")).status_code == 403, url
    rule.refresh_from_db()
    assert rule.is_active and rule.versions.count() == 1
    assert not Rule.objects.filter(name="Sneaky").exists()
    # Nor is the menu entry offered.
    assert "Automation" not in page(client.get(reverse("home")))


def test_anonymous_visitors_are_sent_to_the_login_page(client, rule):
    response = client.get(reverse("automation:rule_list"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_directors_and_admins_see_the_menu_entry_and_the_list(client, org, rule):
    for user in (org.admin, org.director):
        client.force_login(user)
        home = page(client.get(reverse("home")))
        assert reverse("automation:rule_list") in home
        response = client.get(reverse("automation:rule_list"))
        assert response.status_code == 200
        assert "A-level accounts" in page(response)


def test_an_unknown_rule_is_a_404(admin_client):
    assert admin_client.get(reverse("automation:rule_detail", args=[999])).status_code == 404


# --- rules list ---------------------------------------------------------------------------


def test_the_list_shows_version_firings_and_filters_by_trigger_and_state(admin_client, org, rule):
    make_rule(
        org.admin,
        name="Morning digest",
        trigger_type="schedule",
        trigger={"cron": "0 9 * * 1-5"},
        actions=NOTIFY_DIRECTORS,
        is_active=False,
    )
    html = page(admin_client.get(reverse("automation:rule_list")))
    assert html.count('data-testid="rule-row"') == 2
    assert "v1" in html

    def names(**params):
        html = page(admin_client.get(reverse("automation:rule_list"), params))
        return re.findall(r'data-testid="rule-link">([^<]+)<', html)

    assert names(trigger_type="schedule") == ["Morning digest"]
    assert names(active="1") == ["A-level accounts"]
    assert names(active="0") == ["Morning digest"]
    assert names(q="digest") == ["Morning digest"]


def test_the_list_counts_firings_and_shows_the_last_one(admin_client, org):
    make_rule(
        org.admin,
        when=at("2026-11-23", "09:00"),
        name="Hourly follow-up",
        trigger_type="timer",
        entity="account",
        trigger={"field": "created_at", "minutes": 60, "unit": "calendar"},
        actions=NOTIFY_OWNER,
    )
    with clock.frozen(at("2026-11-23", "10:00")):
        make_account(org.rep_a)
        make_account(org.rep_b)
    tick(at("2026-11-23", "11:30"))
    html = page(admin_client.get(reverse("automation:rule_list")))
    assert re.search(r'\?rule=\d+">2</a>', html), "the firings count links to the firings"


# --- the builder --------------------------------------------------------------------------


def test_the_builder_offers_entities_events_and_actions_from_the_catalogues(admin_client):
    response = admin_client.get(reverse("automation:rule_create"))
    assert response.status_code == 200
    catalogue = state(response)["catalogue"]
    assert "account" in [e["key"] for e in catalogue["entities"]]
    account_events = [e["name"] for e in catalogue["events"] if e["entity"] == "account"]
    assert "account.created" in account_events
    kinds = {a["kind"]: a for a in catalogue["actions"]}
    assert {"notify", "escalate", "create_task", "set_field", "webhook"} <= set(kinds)
    assert [f["name"] for f in kinds["notify"]["fields"]][:2] == ["to", "title"]
    assert "0 9 * * 1-5" in page(response)  # the cron hint


def test_creating_a_rule_through_the_builder_makes_version_1(admin_client, org):
    response = admin_client.post(reverse("automation:rule_create"), builder_post())
    rule = Rule.objects.get(name="Follow up new accounts")
    assert response.status_code == 302
    assert response["Location"] == reverse("automation:rule_detail", args=[rule.pk])
    version = rule.current_version
    assert version.number == 1 and version.created_by == org.admin
    assert (version.trigger_type, version.entity) == ("timer", "account")
    assert version.trigger["minutes"] == 60 and version.trigger["unit"] == "calendar"
    assert version.condition == 'level == "A"'
    assert version.actions == [
        {"kind": "notify", "to": ["owner"], "title": "Follow up {name}", "message": ""}
    ]
    detail = page(admin_client.get(response["Location"]))
    assert "created (version 1)" in detail


def test_an_event_rule_and_a_schedule_rule_are_saved_from_their_own_fields(admin_client):
    admin_client.post(
        reverse("automation:rule_create"),
        builder_post(
            name="New account", trigger_type="event", entity="account", event="account.created"
        ),
    )
    admin_client.post(
        reverse("automation:rule_create"),
        builder_post(
            name="Weekdays",
            trigger_type="schedule",
            entity="",
            cron="0 9 * * 1-5",
            condition="",
            actions=json.dumps(NOTIFY_DIRECTORS),
        ),
    )
    event_rule = Rule.objects.get(name="New account")
    assert (event_rule.event, event_rule.current_version.trigger) == (
        "account.created",
        {"event": "account.created"},
    )
    schedule = Rule.objects.get(name="Weekdays").current_version
    assert schedule.trigger == {"cron": "0 9 * * 1-5"}
    assert schedule.entity == ""


def test_a_bad_condition_is_shown_on_the_condition_field_and_nothing_is_saved(admin_client):
    response = admin_client.post(
        reverse("automation:rule_create"), builder_post(condition="level == ")
    )
    assert response.status_code == 200
    html = page(response)
    error = re.search(r'data-testid="error-condition">([^<]+)<', html)
    assert error and "Position" in error.group(1)
    assert not Rule.objects.exists() and not RuleVersion.objects.exists()
    # What the user typed is still there.
    assert 'value="Follow up new accounts"' in html
    assert ">level == </textarea>" in html
    assert state(response)["values"]["actions"] == NOTIFY_OWNER


def test_an_unknown_variable_names_the_variables_that_exist(admin_client):
    response = admin_client.post(
        reverse("automation:rule_create"), builder_post(condition="levle == 'A'")
    )
    html = page(response)
    error = re.search(r'data-testid="error-condition">([^<]+)<', html).group(1)
    assert "Position 1" in error and "levle" in error
    names = re.search(r'data-testid="condition-names">(.*?)</div>', html, re.S).group(1)
    assert '<code class="me-1">level</code>' in names


def test_a_bad_cron_is_shown_on_the_cron_field(admin_client):
    response = admin_client.post(
        reverse("automation:rule_create"),
        builder_post(trigger_type="schedule", entity="", cron="0 25 * * *", condition=""),
    )
    error = re.search(r'data-testid="error-cron">([^<]+)<', page(response))
    assert error and "hour" in error.group(1) and "position 3" in error.group(1)
    assert not Rule.objects.exists()


def test_action_errors_go_under_their_action_and_every_error_is_shown(admin_client):
    actions = [
        {"kind": "notify", "to": ["owner"], "title": "ok"},
        {"kind": "webhook", "url": "ftp://example.com/hook"},
    ]
    response = admin_client.post(
        reverse("automation:rule_create"),
        builder_post(name="", minutes="", actions=json.dumps(actions)),
    )
    html = page(response)
    assert 'data-testid="error-name"' in html
    assert 'data-testid="error-minutes"' in html
    builder = state(response)
    assert list(builder["action_errors"]) == ["1"]
    assert "http" in builder["action_errors"]["1"]["url"]
    assert builder["values"]["actions"] == actions
    assert not Rule.objects.exists()


def test_a_rule_without_actions_is_refused_on_the_actions(admin_client):
    response = admin_client.post(reverse("automation:rule_create"), builder_post(actions="[]"))
    assert re.search(r'data-testid="error-actions">[^<]*action', page(response))
    bad_json = admin_client.post(reverse("automation:rule_create"), builder_post(actions="{oops"))
    assert 'data-testid="error-actions"' in page(bad_json)
    assert not Rule.objects.exists()


def test_editing_adds_version_2_and_the_rule_page_lists_both(admin_client, org, rule):
    edit_url = reverse("automation:rule_edit", args=[rule.pk])
    form = admin_client.get(edit_url)
    assert "creates version 2" in page(form)
    values = state(form)["values"]
    assert values["condition"] == 'level == "A"' and values["minutes"] == "60"

    response = admin_client.post(edit_url, builder_post(name=rule.name, condition='level == "B"'))
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.current_version.number == 2
    assert rule.current_version.condition == 'level == "B"'
    assert RuleVersion.objects.get(rule=rule, number=1).condition == 'level == "A"'

    detail = page(admin_client.get(reverse("automation:rule_detail", args=[rule.pk])))
    assert re.findall(r'data-testid="version-row" data-number="(\d+)"', detail) == ["2", "1"]
    assert "saved as version 2" in detail
    old = admin_client.get(
        reverse("automation:version_detail", args=[rule.pk, 1]), HTTP_HX_REQUEST="true"
    )
    assert old.status_code == 200
    assert 'data-version="1"' in page(old) and "level == &quot;A&quot;" in page(old)
    assert "<html" not in page(old)  # a fragment for the page's version panel
    full = admin_client.get(reverse("automation:version_detail", args=[rule.pk, 1]))
    assert "<html" in page(full)


def test_saving_without_changing_what_it_does_keeps_the_version(admin_client, rule):
    response = admin_client.post(
        reverse("automation:rule_edit", args=[rule.pk]), builder_post(name="Renamed")
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.name == "Renamed" and rule.current_version.number == 1


# --- switch ---------------------------------------------------------------------------------


def test_the_switch_turns_a_rule_off_and_on_again(admin_client, rule):
    url = reverse("automation:rule_toggle", args=[rule.pk])
    response = admin_client.post(url, {}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'data-active="0"' in page(response) and "<html" not in page(response)
    rule.refresh_from_db()
    assert not rule.is_active

    response = admin_client.post(url, {"active": "1"})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.is_active


# --- live validation ------------------------------------------------------------------------


def validate(client, target="condition", **overrides):
    url = reverse("automation:validate") + f"?target={target}"
    return page(client.post(url, builder_post(**overrides), HTTP_HX_REQUEST="true"))


def test_live_validation_gives_the_position_of_a_problem_and_the_variables(admin_client):
    html = validate(admin_client, condition='level == "A" and')
    assert 'data-state="error"' in html
    assert re.search(r"Position \d+", html)
    assert 'data-testid="check-caret"' in html
    names = re.findall(r'<code class="me-1">(\w+)</code>', html)
    assert {"level", "province", "owner_id", "timer_level"} <= set(names)


def test_live_validation_says_ok_and_what_the_condition_reads(admin_client):
    html = validate(admin_client, condition='level == "A" and province == "浙江省"')
    assert 'data-state="ok"' in html
    assert "level, province" in html


def test_live_validation_of_an_event_condition_offers_the_event_fields(admin_client):
    html = validate(
        admin_client, trigger_type="event", entity="account", event="account.updated", condition=""
    )
    assert 'data-state="empty"' in html
    assert '<code class="me-1">changed</code>' in html


def test_live_validation_of_a_timer_without_entity_asks_for_the_entity(admin_client):
    html = validate(admin_client, entity="", condition="level == 'A'")
    assert 'data-state="incomplete"' in html


def test_live_validation_of_unless_and_cron(admin_client):
    assert 'data-state="error"' in validate(admin_client, "unless", unless="first_contact ==")
    assert 'data-state="ok"' in validate(admin_client, "unless", unless="level == 'A'")
    bad = validate(admin_client, "cron", trigger_type="schedule", cron="61 * * * *")
    assert 'data-state="error"' in bad and "minute" in bad
    good = validate(admin_client, "cron", trigger_type="schedule", cron="0 9 * * 1-5")
    assert 'data-state="ok"' in good and "Next runs" in good


# --- try it on record #N --------------------------------------------------------------------


def test_preview_on_a_record_shows_the_condition_result_and_what_would_happen(
    admin_client, org, rule
):
    a_level = make_account(org.rep_a, name="甲级客户", level="A")
    c_level = make_account(org.rep_a, name="丙级客户", level="C")
    url = reverse("automation:rule_preview", args=[rule.pk])

    html = page(admin_client.post(url, {"preview_object_id": a_level.pk}, HTTP_HX_REQUEST="true"))
    assert 'data-result="true"' in html
    assert "甲级客户" in html
    assert "Notify Rep A" in html and "Follow up 甲级客户" in html
    assert re.search(r"<dt><code>level</code></dt><dd>A</dd>", html)

    html = page(admin_client.post(url, {"preview_object_id": c_level.pk}, HTTP_HX_REQUEST="true"))
    assert 'data-result="false"' in html

    html = page(admin_client.post(url, {"preview_object_id": 99999}, HTTP_HX_REQUEST="true"))
    assert 'data-testid="preview-errors"' in html and "#99999" in html
    # Nothing was sent.
    from salesops.notifications.models import Notification

    assert not Notification.objects.exists()


def test_preview_of_the_rule_being_typed(admin_client, org):
    account = make_account(org.rep_b, name="草稿客户", level="B")
    url = reverse("automation:preview_draft")
    draft = builder_post(condition='level == "B"', preview_object_id=str(account.pk))
    html = page(admin_client.post(url, draft, HTTP_HX_REQUEST="true"))
    assert 'data-result="true"' in html and "Notify Rep B" in html

    broken = builder_post(condition="level ==", preview_object_id=str(account.pk))
    html = page(admin_client.post(url, broken, HTTP_HX_REQUEST="true"))
    assert "Fix the rule first" in html and "Condition: Position" in html
    assert not Rule.objects.exists()


# --- rule page and firings ------------------------------------------------------------------


def test_a_timer_firing_shows_on_the_firings_page_and_the_rule_page(admin_client, org):
    rule = make_rule(
        org.admin,
        when=at("2026-11-23", "09:00"),
        name="Call A accounts",
        trigger_type="timer",
        entity="account",
        trigger={"field": "created_at", "minutes": 60, "unit": "calendar"},
        condition='level == "A"',
        actions=NOTIFY_OWNER,
    )
    with clock.frozen(at("2026-11-23", "10:00")):
        hit = make_account(org.rep_a, name="甲级新客户", level="A")
        make_account(org.rep_a, name="丙级新客户", level="C")
    tick(at("2026-11-23", "11:30"))

    html = page(admin_client.get(reverse("automation:firing_list")))
    assert html.count('data-testid="firing-row"') == 1
    assert f'href="{hit.get_absolute_url()}" data-testid="firing-record">甲级新客户<' in html
    assert 'data-status="done"' in html
    assert re.search(r"<dt><code>level</code></dt><dd>A</dd>", html)  # the "why"
    assert "Follow up 甲级新客户" in html  # what the action did
    assert "Rep A" in html  # to whom, by name

    filtered = admin_client.get(
        reverse("automation:firing_list"), {"rule": rule.pk, "object_id": hit.pk, "status": "done"}
    )
    assert page(filtered).count('data-testid="firing-row"') == 1
    other = admin_client.get(reverse("automation:firing_list"), {"status": "failed"})
    assert 'data-testid="firing-row"' not in page(other)
    bad = admin_client.get(reverse("automation:firing_list"), {"object_id": "x"})
    assert bad.status_code == 200 and "whole number" in page(bad)

    detail = page(admin_client.get(reverse("automation:rule_detail", args=[rule.pk])))
    assert detail.count('data-testid="firing-row"') == 1
    assert f"?rule={rule.pk}" in detail


def test_the_deliveries_page_lists_webhook_calls(admin_client, org):
    from salesops.notifications.models import Delivery

    rule = make_rule(
        org.admin,
        name="Hook",
        trigger_type="schedule",
        trigger={"cron": "0 9 * * *"},
        actions=[{"kind": "webhook", "url": "https://example.com/hook"}],
    )
    Delivery.objects.create(
        channel="webhook",
        url="https://example.com/hook",
        body="{}",
        signature="sha256=x",
        source_type="rule",
        source_id=rule.pk,
        status="failed",
        attempts=2,
        next_attempt_at=clock.now(),
        last_status_code=500,
        last_error="Internal Server Error",
    )
    # The old address sends to the one page of deliveries, filtered to webhooks
    response = admin_client.get(reverse("automation:delivery_list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("notifications:delivery_list") + "?channel=webhook"
    html = page(admin_client.get(response["Location"]))
    assert 'data-testid="delivery-row"' in html
    assert "HTTP 500" in html and "Internal Server Error" in html
    assert "https://example.com/hook" in html
    assert f"Rule #{rule.pk}" in html
    delivered = admin_client.get(reverse("automation:delivery_list"), {"status": "delivered"})
    assert delivered["Location"].endswith("?channel=webhook&status=sent")
    assert 'data-testid="delivery-row"' not in page(admin_client.get(delivered["Location"]))
