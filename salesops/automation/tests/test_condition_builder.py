"""The condition builder: rows by label compiled to the engine's expression text, that text
parsed back into rows (or left to experts), and enumerated values checked against their
codes — from the API, the builder page and the live check."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from salesops.automation import conditions, fields, services
from salesops.automation.models import Rule
from salesops.customization.tests.factories import make_definition

from .conftest import make_rule
from .test_validation import API
from .test_views import builder_post, page, state

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, org):
    client.force_login(org.admin)
    return client


NOTIFY = [{"kind": "notify", "to": ["owner"], "title": "Follow up"}]


def activity_fields():
    return fields.condition_fields("event", "activity", {"event": "activity.logged"})


def spec(field_list, name):
    return next(f for f in field_list if f["name"] == name)


# --- the catalogue --------------------------------------------------------------------------
def test_the_tag_is_offered_by_label_and_stored_by_code(org):
    tag = spec(activity_fields(), "tag")
    assert tag["kind"] == "choice"
    labels = {c["value"]: c["label"] for c in tag["choices"]}
    assert "price_sensitive" in labels
    assert tag["aliases"]["价格敏感"] == "price_sensitive"
    names = {f["name"] for f in activity_fields()}
    assert "tag_id" not in names and {"owner_id", "kind", "today"} <= names


def test_custom_fields_and_lead_enumerations_are_offered(org):
    make_definition(org.admin, entity="lead", key="temperature", type="choice")
    lead = {
        f["name"]: f for f in fields.condition_fields("event", "lead", {"event": "lead.created"})
    }
    assert lead["temperature"]["kind"] == "choice" and lead["temperature"]["custom"]
    assert [c["value"] for c in lead["temperature"]["choices"]] == ["hot", "warm", "cold"]
    assert lead["status"]["kind"] == "choice"
    assert {"new", "contacted"} <= {c["value"] for c in lead["status"]["choices"]}
    assert lead["owner_id"]["kind"] == "user"
    assert lead["channel_id"]["kind"] in ("reference", "number")


# --- compile and parse back ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("rows", "join", "text"),
    [
        (
            [{"field": "tag", "op": "eq", "value": "price_sensitive"}],
            "and",
            "tag == 'price_sensitive'",
        ),
        (
            [
                {"field": "kind", "op": "in", "value": ["call", "visit"]},
                {"field": "duration_seconds", "op": "ge", "value": "60"},
            ],
            "and",
            "kind in ['call', 'visit'] and duration_seconds >= 60",
        ),
        (
            [
                {"field": "note", "op": "contains", "value": "价格"},
                {"field": "effective", "op": "true", "value": ""},
            ],
            "or",
            "contains(note, '价格') or effective == True",
        ),
        (
            [{"field": "checked_in_at", "op": "ago_more", "value": "3"}],
            "and",
            "(checked_in_at != None and days_between(checked_in_at, today) > 3)",
        ),
        (
            [
                {"field": "note", "op": "empty", "value": ""},
                {"field": "ended_at", "op": "ahead_within", "value": "7"},
            ],
            "and",
            "note == '' and (ended_at != None and 0 <= days_between(today, ended_at) <= 7)",
        ),
    ],
)
def test_rows_compile_to_text_and_parse_back(org, rows, join, text):
    field_list = activity_fields()
    compiled, problems = conditions.compile_rows(rows, join, field_list)
    assert (compiled, problems) == (text, [])
    parsed = conditions.parse_rows(compiled, field_list)
    assert parsed == (rows, join)


def test_an_owner_row_stores_the_user_id(org):
    rows = [{"field": "owner_id", "op": "eq", "value": str(org.rep_a.pk)}]
    text, problems = conditions.compile_rows(rows, "and", activity_fields())
    assert (text, problems) == (f"owner_id == {org.rep_a.pk}", [])
    assert conditions.parse_rows(text, activity_fields()) == (rows, "and")


def test_rows_with_a_missing_or_wrong_value_name_the_row_and_field(org):
    rows = [
        {"field": "tag", "op": "eq", "value": "价格敏感"},
        {"field": "duration_seconds", "op": "gt", "value": "a lot"},
        {"field": "", "op": "", "value": ""},
    ]
    _text, problems = conditions.compile_rows(rows, "and", activity_fields())
    assert len(problems) == 3
    assert problems[0].startswith("Row 1 (Result)")
    assert "Row 2 (Duration (seconds))" in problems[1] and "number" in problems[1]
    assert problems[2] == "Row 3: choose a field."


@pytest.mark.parametrize(
    "text",
    [
        "tag == 'price_sensitive' and (kind == 'call' or kind == 'visit')",
        "not effective",
        "duration_seconds + 1 > 3",
        'tag == "price_sensitive"',
    ],
)
def test_a_condition_the_builder_does_not_write_opens_as_text(org, text):
    assert conditions.parse_rows(text, activity_fields()) is None


# --- enumerated values ----------------------------------------------------------------------
def test_a_label_instead_of_a_code_is_refused_naming_the_code(org):
    with pytest.raises(Exception) as caught:
        make_rule(
            org.admin,
            trigger_type="event",
            trigger={"event": "activity.logged"},
            condition="tag == '价格敏感'",
            actions=NOTIFY,
        )
    message = " ".join(caught.value.message_dict["condition"])
    assert "“价格敏感” is a label; use 'price_sensitive'" in message


def test_an_unknown_code_is_refused_with_the_codes_to_use(org):
    errors: dict = {}
    services.clean_definition(
        trigger_type="event",
        trigger={"event": "activity.logged"},
        condition="kind in ['call', 'phone']",
        actions_list=NOTIFY,
        errors=errors,
    )
    assert "“phone” is not one of its values" in errors["condition"]
    assert "'call'" in errors["condition"]


def test_the_api_refuses_a_label_with_a_422(admin_client):
    response = admin_client.post(
        f"{API}/rules",
        {
            "name": "Price sensitive calls",
            "trigger_type": "event",
            "trigger": {"event": "activity.logged"},
            "condition": "tag == '价格敏感'",
            "actions": NOTIFY,
        },
        content_type="application/json",
    )
    assert response.status_code == 422, response.content
    assert response.json()["field"] == "condition"
    assert "use 'price_sensitive'" in response.json()["message"]
    assert not Rule.objects.filter(name="Price sensitive calls").exists()


def activity_post(**overrides) -> dict:
    return builder_post(
        name="Price sensitive calls",
        trigger_type="event",
        entity="",
        event="activity.logged",
        actions=json.dumps(NOTIFY),
        **overrides,
    )


def test_the_page_refuses_a_label_typed_as_text(admin_client):
    response = admin_client.post(
        reverse("automation:rule_create"),
        activity_post(condition_mode="expert", condition="tag == '价格敏感'"),
    )
    assert response.status_code == 200
    assert "“价格敏感” is a label; use &#x27;price_sensitive&#x27;" in page(response)
    assert not Rule.objects.exists()


def test_the_page_saves_rows_as_the_engine_text_and_reopens_them(admin_client):
    rows = [{"field": "tag", "op": "eq", "value": "price_sensitive"}]
    response = admin_client.post(
        reverse("automation:rule_create"),
        activity_post(condition_mode="builder", condition_rows=json.dumps(rows), condition=""),
    )
    assert response.status_code == 302, page(response)
    rule = Rule.objects.get()
    assert rule.current_version.condition == "tag == 'price_sensitive'"
    values = state(admin_client.get(reverse("automation:rule_edit", args=[rule.pk])))["values"]
    assert values["condition_mode"] == "builder"
    assert values["condition_rows"] == rows


def test_an_expert_condition_reopens_as_text(admin_client, org):
    rule = make_rule(
        org.admin,
        trigger_type="event",
        trigger={"event": "activity.logged"},
        condition="tag == 'price_sensitive' and not effective",
        actions=NOTIFY,
    )
    values = state(admin_client.get(reverse("automation:rule_edit", args=[rule.pk])))["values"]
    assert values["condition_mode"] == "expert"
    assert values["condition"] == "tag == 'price_sensitive' and not effective"


def test_the_live_check_shows_the_rows_as_text_and_refuses_a_label(admin_client):
    url = reverse("automation:validate") + "?target=condition"
    rows = [{"field": "tag", "op": "eq", "value": "price_sensitive"}]
    html = page(
        admin_client.post(
            url,
            activity_post(condition_mode="builder", condition_rows=json.dumps(rows)),
            HTTP_HX_REQUEST="true",
        )
    )
    assert 'data-state="ok"' in html
    assert 'data-compiled="tag == &#x27;price_sensitive&#x27;"' in html
    html = page(
        admin_client.post(
            url,
            activity_post(condition_mode="expert", condition="tag == '价格敏感'"),
            HTTP_HX_REQUEST="true",
        )
    )
    assert 'data-state="error"' in html and "price_sensitive" in html
    html = page(
        admin_client.post(
            url,
            activity_post(condition_mode="expert", condition="tag == 'price_sensitive'"),
            HTTP_HX_REQUEST="true",
        )
    )
    assert "data-rows=" in html
