"""Definition rules: key format and clashes, labels, choices, defaults, fixed key/type."""

import pytest
from django.core.exceptions import ValidationError

from salesops.customization import selectors, services
from salesops.customization.models import CustomFieldDefinition

from .factories import make_definition


def errors_of(call) -> dict:
    with pytest.raises(ValidationError) as exc:
        call()
    return exc.value.message_dict


def test_definition_is_created_with_history_and_next_order(org, define):
    first = define("budget", "money")
    second = define("region_code", "text")
    assert second.order > first.order
    record = first.history.get()
    assert record.history_user == org.admin and record.history_type == "+"


@pytest.mark.parametrize(
    "key, fragment",
    [
        ("Budget", "lower-case"),
        ("1st", "lower-case"),
        ("has space", "lower-case"),
        ("", "blank"),
        ("a" * 41, "at most 40"),
        ("class", "reserved"),
        ("min", "reserved"),
        ("custom", "reserved"),
        ("name", "built-in field"),
        ("owner_id", "built-in field"),
    ],
)
def test_bad_keys_are_refused_with_the_reason(org, key, fragment):
    errors = errors_of(lambda: make_definition(org.admin, key=key, type="text"))
    assert len(errors["key"]) == 1
    assert fragment in errors["key"][0]
    assert not CustomFieldDefinition.objects.exists()


def test_key_is_unique_per_entity_but_may_repeat_across_entities(org, define):
    define("budget", "money")
    errors = errors_of(lambda: define("budget", "number"))
    assert "already has a custom field" in errors["key"][0]
    assert define("budget", "money", entity="contact").entity == "contact"


def test_unknown_entity_lists_the_known_ones(org):
    errors = errors_of(lambda: make_definition(org.admin, entity="spaceship", key="x"))
    assert "account" in errors["entity"][0] and "contact" in errors["entity"][0]


def test_a_label_is_needed_in_at_least_one_language(org):
    errors = errors_of(
        lambda: make_definition(org.admin, key="x", type="text", label_en="", label_zh="")
    )
    assert "label" in errors["label_zh"][0]
    assert make_definition(org.admin, key="y", type="text", label_en="", label_zh="预算").label


def test_choice_fields_need_distinct_choices(org):
    errors = errors_of(lambda: make_definition(org.admin, key="temp", type="choice", choices=[]))
    assert "at least one choice" in errors["choices"][0]
    errors = errors_of(
        lambda: make_definition(org.admin, key="temp", type="choice", choices=["a", "a"])
    )
    assert "appears twice" in errors["choices"][0]
    errors = errors_of(lambda: make_definition(org.admin, key="temp", type="text", choices=["a"]))
    assert "Only choice fields" in errors["choices"][0]


def test_plain_strings_become_choices(org):
    d = make_definition(org.admin, key="temp", type="choice", choices=["热", " 冷 "])
    assert d.choices == [{"value": "热", "label": "热"}, {"value": "冷", "label": "冷"}]


@pytest.mark.parametrize(
    "type, default, stored",
    [
        ("money", "1,200.5", "1200.50"),
        ("number", 3, "3"),
        ("date", "2026/3/31", "2026-03-31"),
        ("boolean", "yes", True),
        ("choice", "Warm", "warm"),
        ("multi_choice", ["cold", "hot"], ["hot", "cold"]),
    ],
)
def test_default_is_stored_in_canonical_form(org, type, default, stored):
    d = make_definition(org.admin, key="f", type=type, default=default)
    assert d.default == stored


@pytest.mark.parametrize(
    "type, default",
    [("money", "lots"), ("date", "31.3.2026"), ("choice", "boiling"), ("boolean", "maybe")],
)
def test_default_must_fit_the_type(org, type, default):
    errors = errors_of(lambda: make_definition(org.admin, key="f", type=type, default=default))
    assert "default value does not fit" in errors["default"][0]


def test_key_cannot_change_and_type_only_within_its_group(org, define):
    d = define("notes_extra", "text")
    errors = errors_of(
        lambda: services.definition_update(actor=org.admin, definition=d, key="other")
    )
    assert "cannot be changed" in errors["key"][0]
    errors = errors_of(
        lambda: services.definition_update(actor=org.admin, definition=d, type="number")
    )
    assert "cannot become" in errors["type"][0]
    d = services.definition_update(actor=org.admin, definition=d, type="long_text")
    assert d.type == "long_text"


def test_deactivate_and_activate_keep_history(org, define):
    d = define("budget", "money")
    d = services.definition_deactivate(actor=org.admin, definition=d)
    assert not d.active
    d = services.definition_activate(actor=org.admin, definition=d)
    assert d.active
    assert d.history.count() == 3


def test_label_follows_the_active_language(org, define):
    from django.utils import translation

    d = define("budget", "money", label_zh="预算", label_en="Budget")
    with translation.override("zh-hans"):
        assert d.label == "预算"
    with translation.override("en"):
        assert d.label == "Budget"
    only_zh = define("region", "text", label_zh="区域", label_en="")
    with translation.override("en"):
        assert only_zh.label == "区域"


@pytest.mark.usefixtures("config_cache_on")
def test_with_caching_on_a_new_or_switched_off_field_takes_effect_at_once(
    org, define, django_assert_num_queries
):
    # given the account fields read once, and served from the cache after that
    assert selectors.definitions("account") == []
    with django_assert_num_queries(0):
        assert selectors.definitions("account") == []
    # when an admin adds a field, then the next read has it
    budget = define("budget", "money")
    assert [d.key for d in selectors.definitions("account")] == ["budget"]
    # when the admin switches it off, then the next read no longer has it
    services.definition_deactivate(actor=org.admin, definition=budget)
    assert selectors.definitions("account") == []
    assert [d.key for d in selectors.definitions("account", include_inactive=True)] == ["budget"]
