"""Custom field definitions written over the REST API (SPEC X1): admins only, the same
service and rules as the settings page, 422 naming each bad field, nothing half-written."""

import pytest

from salesops.customers.tests.test_api import API, assert_error, patch, post, token_client
from salesops.customization.models import CustomFieldDefinition


def body(**data):
    return {
        "entity": "activity",
        "key": "visit_mood",
        "label_zh": "拜访气氛",
        "label_en": "Visit mood",
        "type": "choice",
        "choices": ["good", {"value": "bad", "label": "Bad"}],
        **data,
    }


def test_admin_defines_changes_and_switches_off_a_field(org):
    api = token_client(org.admin)
    created = post(api, "/custom-fields", body())
    assert created.status_code == 201, created.content
    field = created.json()
    assert field["entity"] == "activity" and field["key"] == "visit_mood"
    assert field["choices"] == [
        {"value": "good", "label": "good"},
        {"value": "bad", "label": "Bad"},
    ]
    assert field["active"] is True and field["filter"] == "cf_visit_mood"
    pk = field["id"]
    changed = patch(api, f"/custom-fields/{pk}", {"label_en": "Mood", "required": True})
    assert changed.status_code == 200, changed.content
    assert changed.json()["label_en"] == "Mood" and changed.json()["required"] is True
    definition = CustomFieldDefinition.objects.get(pk=pk)
    assert definition.history.count() == 2  # audited like the page's writes
    off = post(api, f"/custom-fields/{pk}/deactivate", {})
    assert off.status_code == 200 and off.json()["active"] is False
    listed = api.get(f"{API}/custom-fields", {"entity": "activity"}).json()
    assert listed == []
    everything = api.get(f"{API}/custom-fields", {"entity": "activity", "include_inactive": True})
    assert [f["key"] for f in everything.json()] == ["visit_mood"]
    on = post(api, f"/custom-fields/{pk}/activate", {})
    assert on.status_code == 200 and on.json()["active"] is True


def test_bad_input_names_every_field_and_writes_nothing(org):
    api = token_client(org.admin)
    response = post(
        api,
        "/custom-fields",
        body(key="9 Bad", label_zh="", label_en="", type="choice", choices=[]),
    )
    error = assert_error(response, 422, "validation_error", response.json()["field"])
    fields = {e["field"] for e in error["errors"]}
    assert {"key", "choices"} <= fields
    assert not CustomFieldDefinition.objects.exists()
    unknown = post(api, "/custom-fields", body(entity="planet"))
    error = assert_error(unknown, 422, "validation_error", "entity")
    assert "activity" in error["message"] and "task" in error["message"]
    bad_type = post(api, "/custom-fields", body(type="colour"))
    assert_error(bad_type, 422, "validation_error", "type")
    extra = post(api, "/custom-fields", body(colour="red"))
    assert extra.status_code == 422
    assert not CustomFieldDefinition.objects.exists()


def test_key_and_entity_cannot_change_and_types_only_to_compatible_ones(org):
    api = token_client(org.admin)
    pk = post(api, "/custom-fields", body(type="text", choices=[])).json()["id"]
    assert patch(api, f"/custom-fields/{pk}", {"key": "other"}).status_code == 422
    assert patch(api, f"/custom-fields/{pk}", {"entity": "task"}).status_code == 422
    assert_error(
        patch(api, f"/custom-fields/{pk}", {"type": "number"}), 422, "validation_error", "type"
    )
    assert patch(api, f"/custom-fields/{pk}", {"type": "long_text"}).status_code == 200
    assert_error(
        patch(api, f"/custom-fields/{pk}", {"required": None}),
        422,
        "validation_error",
        "required",
    )
    assert api.get(f"{API}/custom-fields/999999").status_code == 404


@pytest.mark.parametrize("role", ["rep_a", "manager_east", "director", "finance", "cs"])
def test_only_admins_define_fields(org, role):
    admin = token_client(org.admin)
    pk = post(admin, "/custom-fields", body()).json()["id"]
    api = token_client(getattr(org, role))
    assert_error(post(api, "/custom-fields", body(key="mine")), 403, "forbidden")
    assert_error(patch(api, f"/custom-fields/{pk}", {"label_en": "X"}), 403, "forbidden")
    assert_error(post(api, f"/custom-fields/{pk}/deactivate", {}), 403, "forbidden")
    # everyone reads the schema, but only the active fields
    listed = api.get(f"{API}/custom-fields", {"entity": "activity", "include_inactive": True})
    assert [f["key"] for f in listed.json()] == ["visit_mood"]
    definition = CustomFieldDefinition.objects.get(pk=pk)
    assert definition.label_en == "Visit mood" and definition.active
    assert CustomFieldDefinition.objects.count() == 1
