"""App templates: export → import into an empty configuration → the same bytes; a second
apply writes nothing; refusals (dangling reference, bad item, unknown section, not a
template) name the problem and write nothing."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from salesops.activities import services as activity_services
from salesops.activities.models import ResultTag
from salesops.core import choices
from salesops.core.models import Choice, ChoiceList
from salesops.customization import services as custom_services
from salesops.customization.models import CustomFieldDefinition, FormLayout
from salesops.exchange.appconfig import engine
from salesops.knowledge import services as knowledge_services
from salesops.knowledge.models import KnowledgeTag
from salesops.leads import configuration as lead_configuration
from salesops.leads.models import Channel

pytestmark = pytest.mark.django_db

MINE = (
    "custom_fields",
    "form_layouts",
    "result_tags",
    "choice_lists",
    "channels",
    "knowledge_categories",
)


def configure(org):
    """Given: one of everything the sections carry."""
    admin = org.admin
    custom_services.definition_create(
        actor=admin,
        entity="account",
        key="budget",
        label_zh="预算",
        label_en="Budget",
        type="money",
        required=False,
    )
    custom_services.definition_create(
        actor=admin,
        entity="account",
        key="plant_size",
        label_zh="工厂规模",
        label_en="Plant size",
        type="choice",
        choices=[{"value": "s", "label": "小"}, {"value": "l", "label": "大"}],
    )
    custom_services.layout_save(
        actor=admin,
        entity="account",
        name="quick",
        fields=[{"field": "name", "required": True}, {"field": "custom.budget", "required": True}],
    )
    activity_services.result_tag_create(
        actor=admin, code="sent_quote", label_zh="已报价", label_en="Quote sent"
    )
    industry = ChoiceList.objects.get(key=choices.INDUSTRY)
    rows = [
        {"code": c.code, "label_en": c.label_en, "label_zh": c.label_zh, "order": c.order}
        for c in industry.choices.all()
    ]
    rows.append({"code": "robotics", "label_en": "Robotics", "label_zh": "机器人", "order": 999})
    choices.choice_list_update(actor=admin, choice_list=industry, rows=rows)
    channel = lead_configuration.channel_create(
        actor=admin, name="展会报名表", kind="event", campaign="双十一", team=org.east
    )
    knowledge_services.tag_save(actor=admin, code="price", label_zh="价格异议", label_en="Price")
    return channel


def empty_configuration():
    """The configuration tables of these sections emptied (the lists themselves stay:
    every installation has them)."""
    FormLayout.objects.all().delete()
    CustomFieldDefinition.objects.all().delete()
    ResultTag.objects.all().delete()
    Choice.objects.all().delete()
    Channel.objects.all().delete()
    KnowledgeTag.objects.all().delete()
    choices.cache.invalidate()


def writes(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


def test_export_import_into_empty_configuration_gives_the_same_bytes(org):
    channel = configure(org)
    text = engine.dumps(engine.export_config(name="工厂"))
    data = json.loads(text)
    assert engine.schema_errors(data) == []  # what we write, schema.json describes
    assert {"entity": "account", "name": "quick"}.items() <= data["sections"]["form_layouts"][
        0
    ].items()
    exported_channel = next(c for c in data["sections"]["channels"] if c["name"] == "展会报名表")
    assert exported_channel["team"] == "East"
    assert channel.token not in text  # no token travels
    assert "token" not in exported_channel and "id" not in exported_channel

    empty_configuration()
    counts = engine.apply(engine.loads(text), actor=org.admin)

    assert counts["custom_fields"] == {"created": 2, "changed": 0, "unchanged": 0}
    assert counts["form_layouts"]["created"] == 1
    assert counts["channels"]["created"] == len(data["sections"]["channels"]) >= 2
    assert engine.dumps(engine.export_config(name="工厂")) == text
    again = Channel.objects.get(name="展会报名表")
    assert again.token and again.token != channel.token  # a fresh token
    field = CustomFieldDefinition.objects.get(key="budget")
    assert field.history.first().history_change_reason.endswith("app template “工厂”")


def test_applying_the_same_file_twice_writes_nothing(org):
    configure(org)
    data = engine.loads(engine.dumps(engine.export_config(name="x")))
    plan = engine.preview(data)
    assert plan.ok and plan.writes == 0
    assert all(not p.create and not p.change for p in plan.sections)
    history_rows = CustomFieldDefinition.history.count() + Channel.history.count()
    with CaptureQueriesContext(connection) as queries:
        counts = engine.apply(data, actor=org.admin)
    assert {n: c for n, c in counts.items() if n in MINE and (c["created"] or c["changed"])} == {}
    assert counts["result_tags"]["unchanged"] == ResultTag.objects.count()
    assert writes(queries.captured_queries) == []
    assert CustomFieldDefinition.history.count() + Channel.history.count() == history_rows


def test_preview_lists_created_changed_left_and_kept(org):
    configure(org)
    data = engine.loads(engine.dumps(engine.export_config()))
    sections = data["sections"]
    sections["custom_fields"] = [
        {**sections["custom_fields"][0], "label_en": "Budget (CNY)"},  # budget: changed
        sections["custom_fields"][1],  # plant_size: left
        {"entity": "contact", "key": "hobby", "type": "text", "label_zh": "爱好"},  # new
    ]
    sections["knowledge_categories"] = []
    plan = engine.preview(data)
    assert plan.ok, plan.errors
    fields = next(p for p in plan.sections if p.name == "custom_fields")
    assert (fields.create, fields.change, fields.leave) == (
        ["contact.hobby"],
        ["account.budget"],
        ["account.plant_size"],
    )
    tags = next(p for p in plan.sections if p.name == "knowledge_categories")
    assert tags.keep == ["price"]

    counts = engine.apply(data, actor=org.admin)
    assert counts["custom_fields"] == {"created": 1, "changed": 1, "unchanged": 1}
    assert CustomFieldDefinition.objects.get(key="budget").label_en == "Budget (CNY)"
    assert KnowledgeTag.objects.filter(code="price").exists()  # never deleted


def test_dangling_reference_is_refused_by_name_and_nothing_is_written(org):
    data = engine.loads(
        json.dumps(
            {
                "format": engine.FORMAT,
                "version": engine.VERSION,
                "name": "bad",
                "sections": {
                    "result_tags": [{"code": "new_one", "label_zh": "新", "label_en": "New"}],
                    "form_layouts": [
                        {
                            "entity": "account",
                            "name": "quick",
                            "fields": [{"field": "name"}, {"field": "custom.missing_field"}],
                        }
                    ],
                },
            }
        )
    )
    with pytest.raises(ValidationError) as exc:
        engine.apply(data, actor=org.admin)
    message = " ".join(exc.value.messages)
    assert "account/quick" in message and "account.missing_field" in message
    assert not ResultTag.objects.filter(code="new_one").exists()
    assert not FormLayout.objects.exists()


def test_a_service_refusal_rolls_everything_back_naming_the_item(org):
    data = {
        "format": engine.FORMAT,
        "version": engine.VERSION,
        "sections": {
            "knowledge_categories": [{"code": "ok_tag", "label_zh": "好"}],
            # "name" is a built-in field of an account: the service refuses the key.
            "custom_fields": [
                {"entity": "account", "key": "name", "type": "text", "label_zh": "x"}
            ],
        },
    }
    with pytest.raises(ValidationError) as exc:
        engine.apply(data, actor=org.admin)
    assert "account.name" in exc.value.messages[0]
    assert "built-in field" in exc.value.messages[0]
    assert not KnowledgeTag.objects.filter(code="ok_tag").exists()


def test_bad_items_and_unknown_sections_are_named(org):
    data = {
        "format": engine.FORMAT,
        "version": engine.VERSION,
        "sections": {
            "custom_fields": [{"entity": "spaceship", "key": "budget", "type": "colour"}],
            "channels": [{"name": "展会", "kind": "event", "team": "Nowhere"}, "oops"],
            "widgets": [],
        },
    }
    plan = engine.preview(data)
    text = "\n".join(plan.errors)
    assert not plan.ok
    assert "Unknown section “widgets”" in text
    assert "spaceship takes no custom fields" in text
    assert "colour is not a field type" in text
    assert "no team named Nowhere" in text
    assert "item 2 is not an object" in text
    assert "custom_fields › item 1 › type" in text  # the schema's place in the file


def test_duplicate_keys_in_a_file_are_refused(org):
    item = {"code": "dup", "label_zh": "重复", "label_en": "Dup"}
    data = {"format": engine.FORMAT, "version": 1, "sections": {"result_tags": [item, item]}}
    plan = engine.preview(data)
    assert any("“dup” appears twice" in e for e in plan.errors)


@pytest.mark.parametrize(
    "text, expected",
    [
        (b"PK\x03\x04 not json", "not valid JSON"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b'{"format": "something-else", "version": 1, "sections": {}}', "not a SalesOps app"),
        (b'{"format": "salesops-app-template", "version": 7, "sections": {}}', "version 7"),
        (b'{"format": "salesops-app-template", "version": 1}', "no “sections”"),
    ],
)
def test_not_a_template_is_refused_clearly(text, expected):
    with pytest.raises(ValidationError) as exc:
        engine.loads(text)
    assert expected in exc.value.message_dict["file"][0]


def test_a_file_leaving_out_optional_fields_is_left_alone(org):
    configure(org)
    data = {
        "format": engine.FORMAT,
        "version": 1,
        "sections": {
            "result_tags": [{"code": "sent_quote", "label_zh": "已报价", "label_en": "Quote sent"}]
        },
    }
    plan = engine.preview(data)
    tags = next(p for p in plan.sections if p.name == "result_tags")
    assert tags.leave == ["sent_quote"] and tags.change == []
    assert engine.apply(data, actor=org.admin)["result_tags"] == {
        "created": 0,
        "changed": 0,
        "unchanged": 1,
    }


def test_an_item_equal_in_meaning_is_unchanged(org):
    configure(org)
    data = {
        "format": engine.FORMAT,
        "version": 1,
        "sections": {
            # Bare field names and string choices: how a person writes a template by hand.
            "form_layouts": [
                {"entity": "account", "name": "quick", "fields": ["name", "custom.budget"]}
            ],
            "custom_fields": [
                {"entity": "account", "key": "plant_size", "type": "choice", "choices": ["s", "l"]}
            ],
        },
    }
    plan = engine.preview(data)
    assert plan.ok, plan.errors
    layouts = next(p for p in plan.sections if p.name == "form_layouts")
    fields = next(p for p in plan.sections if p.name == "custom_fields")
    # The layout stores required flags the file leaves out: "name" and "budget" were
    # required, so this is a change; the choices' labels differ ("小" → "s"): a change too.
    assert layouts.change == ["account/quick"] and fields.change == ["account.plant_size"]
    data["sections"]["form_layouts"][0]["fields"] = [
        {"field": "name", "required": True},
        {"field": "custom.budget", "required": True},
    ]
    data["sections"]["custom_fields"][0]["choices"] = [
        {"value": "s", "label": "小"},
        {"value": "l", "label": "大"},
    ]
    assert engine.preview(data).writes == 0


def test_a_director_is_told_which_setting_is_the_admins(org):
    data = {
        "format": engine.FORMAT,
        "version": 1,
        "sections": {
            "channels": [{"name": "地推", "kind": "event"}],
            "custom_fields": [
                {"entity": "account", "key": "budget", "type": "money", "label_zh": "预算"}
            ],
        },
    }
    with pytest.raises(ValidationError) as exc:
        engine.apply(data, actor=org.director)
    assert "account.budget" in exc.value.messages[0]
    assert "Only sales-ops admins" in exc.value.messages[0]
    assert not Channel.objects.filter(name="地推").exists()


def test_wrongly_shaped_values_are_errors_not_crashes(org):
    data = {
        "format": engine.FORMAT,
        "version": 1,
        "sections": {
            "form_layouts": [{"entity": "account", "name": "q", "fields": 7}],
            "custom_fields": [{"entity": ["account"], "key": 3, "type": "text"}],
            "channels": [{"name": "x", "kind": "event", "team": 5}],
        },
    }
    plan = engine.preview(data)
    text = "\n".join(plan.errors)
    assert "form_layouts › item 1 › fields" in text
    assert "“team” must be text" in text
    assert "“key” must be text" in text


def test_messages_in_chinese(org):
    from django.utils import translation

    data = {
        "format": engine.FORMAT,
        "version": 1,
        "sections": {"form_layouts": [DANGLING_LAYOUT]},
    }
    with translation.override("zh-hans"):
        plan = engine.preview(data)
    assert any("引用了" in e and "account.ghost" in e for e in plan.errors)


DANGLING_LAYOUT = {"entity": "account", "name": "q", "fields": [{"field": "custom.ghost"}]}
