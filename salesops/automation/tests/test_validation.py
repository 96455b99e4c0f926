"""Bad rules are refused on save with the field, the position and the reason — through
the service and through the API (422 naming the field) — and nothing is written."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from salesops.automation.models import Rule, RuleVersion

from .conftest import make_rule

pytestmark = pytest.mark.django_db
API = "/api/v1/automation"

TIMER = {"field": "created_at", "minutes": 60}
NOTIFY = [{"kind": "notify", "to": ["owner"], "title": "hi"}]
TO_DIRECTOR = [{"kind": "notify", "to": ["role:director"], "title": "hi"}]


def refused(org, **data) -> dict:
    data.setdefault("trigger_type", "timer")
    data.setdefault("entity", "account")
    data.setdefault("trigger", TIMER)
    data.setdefault("actions", NOTIFY)
    with pytest.raises(ValidationError) as info:
        make_rule(org.admin, **data)
    assert not Rule.objects.exists() and not RuleVersion.objects.exists()
    return {k: v[0] for k, v in info.value.message_dict.items()}


@pytest.mark.parametrize(
    "condition, position, reason",
    [
        ("level == ", 9, "Syntax error"),
        ("levle == 'A'", 1, "Unknown name “levle”"),
        ("level == 'A' and owner.name == 'x'", 18, "Attribute access"),
        ("__import__('os')", 1, "Unknown function"),
    ],
)
def test_an_invalid_condition_names_the_position_and_reason(org, condition, position, reason):
    errors = refused(org, condition=condition)
    assert set(errors) == {"condition"}
    assert f"Position {position}:" in errors["condition"]
    assert reason in errors["condition"]


def test_an_invalid_unless_is_reported_on_its_own_field(org):
    errors = refused(org, trigger={**TIMER, "unless": "notes !="})
    assert set(errors) == {"trigger.unless"}
    assert errors["trigger.unless"].startswith("Position 9: Syntax error")


@pytest.mark.parametrize(
    "cron, expected",
    [
        ("61 9 * * *", "minute field “61” at position 1: the value is out of range"),
        ("0 9 * * 1-8", "day of week field “1-8” at position 9"),
        ("0 9 * *", "5 fields"),
        ("0 9 * * 1-5 2026", "5 fields"),
        ("*/0 * * * *", "the step must be a positive number"),
        ("0 9 31 2 *", "never happens"),
        ("", "Enter a cron expression"),
    ],
)
def test_an_invalid_cron_names_the_field_and_reason(org, cron, expected):
    errors = refused(
        org, trigger_type="schedule", entity="", trigger={"cron": cron}, actions=TO_DIRECTOR
    )
    assert set(errors) == {"trigger.cron"}
    assert expected in errors["trigger.cron"]


def test_every_problem_is_reported_at_once(org):
    errors = refused(
        org,
        name="",
        condition="level ==",
        trigger={"field": "name", "minutes": 0, "unit": "weeks"},
        actions=[
            {"kind": "notify", "to": ["boss"], "title": "{nmae}"},
            {"kind": "set_field", "field": "id", "value": "1"},
            {"kind": "teleport"},
        ],
    )
    assert set(errors) == {
        "name",
        "condition",
        "trigger.field",
        "trigger.minutes",
        "trigger.unit",
        "actions.0.to",
        "actions.0.title",
        "actions.1.field",
        "actions.2.kind",
    }
    assert "Unknown placeholder “{nmae}”" in errors["actions.0.title"]
    assert "created_at, updated_at" in errors["trigger.field"]


@pytest.mark.parametrize(
    "title, problem",
    [
        ("{name.__class__}", "plain variable name"),
        ("{name[0]}", "plain variable name"),
        ("{name:>99999}", "formatting options"),
        ("{name", "Unbalanced braces"),
        ("{}", "plain variable name"),
    ],
)
def test_message_templates_are_text_not_code(org, title, problem):
    errors = refused(org, actions=[{"kind": "notify", "to": ["owner"], "title": title}])
    assert problem in errors["actions.0.title"]


def test_owner_targets_need_an_entity(org):
    errors = refused(
        org,
        trigger_type="schedule",
        entity="",
        trigger={"cron": "0 9 * * *"},
        actions=[
            {"kind": "notify", "to": ["manager"], "title": "x"},
            {"kind": "escalate", "title": "x"},
        ],
    )
    assert set(errors) == {"actions.0.to", "actions.1.kind"}


def test_unknown_event_entity_and_trigger_type(org):
    assert "trigger.event" in refused(
        org, trigger_type="event", entity="", trigger={"event": "x.y"}, actions=TO_DIRECTOR
    )
    assert "entity" in refused(org, entity="spaceship")
    assert "trigger_type" in refused(org, trigger_type="whenever")


def test_set_field_refuses_unknown_and_read_only_fields(org):
    for field in ("colour", "id", "created_at", "created_by_id"):
        errors = refused(org, actions=[{"kind": "set_field", "field": field, "value": "1"}])
        assert "Unknown or read-only field" in errors["actions.0.field"]
    errors = refused(org, actions=[{"kind": "set_field", "field": "level", "value": "'A' +"}])
    assert errors["actions.0.value"].startswith("Position 6: Syntax error")


@pytest.fixture
def admin_client(org):
    client = Client()
    client.force_login(org.admin)
    return client


@pytest.mark.parametrize(
    "change, field",
    [
        ({"condition": "level =="}, "condition"),
        (
            {
                "trigger_type": "schedule",
                "entity": "",
                "trigger": {"cron": "0 25 * * *"},
                "actions": TO_DIRECTOR,
            },
            "trigger.cron",
        ),
        ({"actions": [{"kind": "webhook", "url": "gopher://example.com"}]}, "actions.0.url"),
        ({"actions": [{"kind": "webhook", "url": "http://127.0.0.1/x"}]}, "actions.0.url"),
    ],
)
def test_the_api_answers_422_naming_the_field(admin_client, change, field):
    body = {
        "name": "bad",
        "trigger_type": "timer",
        "entity": "account",
        "trigger": TIMER,
        "actions": NOTIFY,
        **change,
    }
    response = admin_client.post(f"{API}/rules", body, content_type="application/json")
    assert response.status_code == 422, response.content
    answer = response.json()
    assert answer["code"] == "validation_error"
    assert answer["field"] == field
    assert answer["message"].startswith(f"{field}: ")
    assert not Rule.objects.exists()


def test_an_invalid_edit_keeps_the_current_version(org, admin_client):
    rule = make_rule(
        org.admin, trigger_type="timer", entity="account", trigger=TIMER, actions=NOTIFY
    )
    response = admin_client.patch(
        f"{API}/rules/{rule.pk}", {"condition": "nope("}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["field"] == "condition"
    assert rule.versions.count() == 1
