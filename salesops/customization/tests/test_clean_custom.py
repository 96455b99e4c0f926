"""``clean_custom``: conversion and checks per type, required, defaults, unknown keys."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from salesops.customization.services import clean_custom


def problems(data, **kwargs) -> dict:
    with pytest.raises(ValidationError) as exc:
        clean_custom("account", data, **kwargs)
    return exc.value.message_dict


@pytest.mark.parametrize(
    "type, given, stored",
    [
        ("text", "  hello  ", "hello"),
        ("long_text", "line 1\r\nline 2", "line 1\nline 2"),
        ("number", "1,200", "1200"),
        ("number", "99.50", "99.5"),
        ("number", 12.5, "12.5"),
        ("number", "-0", "0"),
        ("money", "1200", "1200.00"),
        ("money", "0.125", "0.13"),
        ("money", "１２", "12.00"),
        ("date", "2026-03-31", "2026-03-31"),
        ("date", dt.date(2026, 3, 31), "2026-03-31"),
        ("datetime", "2026-03-31 14:30", "2026-03-31T06:30:00+00:00"),  # Asia/Shanghai
        ("datetime", "2026-03-31T14:30:00+00:00", "2026-03-31T14:30:00+00:00"),
        ("choice", "hot", "hot"),
        ("choice", "Hot", "hot"),  # the label is understood too
        ("multi_choice", ["cold", "hot", "hot"], ["hot", "cold"]),
        ("boolean", True, True),
        ("boolean", "否", False),
        ("boolean", 0, False),
    ],
)
def test_values_are_converted_to_their_stored_form(define, type, given, stored):
    define("f", type)
    assert clean_custom("account", {"f": given}) == {"f": stored}


def test_user_is_stored_as_id_and_must_be_active(org, define):
    define("advisor", "user")
    assert clean_custom("account", {"advisor": org.rep_a.pk}) == {"advisor": org.rep_a.pk}
    assert clean_custom("account", {"advisor": str(org.rep_b.pk)}) == {"advisor": org.rep_b.pk}
    org.rep_b.is_active = False
    org.rep_b.save()
    errors = problems({"advisor": org.rep_b.pk})
    assert "no active user" in errors["custom.advisor"][0]
    assert "no active user" in problems({"advisor": 999_999})["custom.advisor"][0]


@pytest.mark.parametrize(
    "type, given, fragment",
    [
        ("number", "twelve", "Enter a number"),
        ("number", "1e400", "too large"),
        ("number", "0.0000001", "decimal places"),
        ("number", True, "Enter a number"),
        ("money", "NaN", "Enter a number"),
        ("date", "31/03/2026", "YYYY-MM-DD"),
        ("date", "2026-02-30", "YYYY-MM-DD"),
        ("datetime", "2026-03-31", "date and time"),
        ("choice", "boiling", "Choose one of: Hot, Warm, Cold"),
        ("multi_choice", "hot", "list"),
        ("multi_choice", ["hot", "boiling"], "not one of the choices"),
        ("boolean", "maybe", "yes or no"),
        ("text", "x" * 256, "at most 255"),
        ("text", {"a": 1}, "Enter text"),
    ],
)
def test_wrong_values_name_the_field_and_the_fix(define, type, given, fragment):
    define("f", type, label_en="Deal temperature")
    errors = problems({"f": given})
    assert list(errors) == ["custom.f"]
    message = errors["custom.f"][0]
    assert message.startswith("Deal temperature: ")
    assert fragment in message


def test_every_bad_field_is_reported_at_once(define):
    define("budget", "money")
    define("closing", "date")
    errors = problems({"budget": "lots", "closing": "soon", "nope": 1})
    assert set(errors) == {"custom.budget", "custom.closing", "custom.nope"}


def test_unknown_and_switched_off_keys_are_refused(org, define):
    from salesops.customization import services

    define("budget", "money")
    old = define("legacy", "text")
    services.definition_deactivate(actor=org.admin, definition=old)
    errors = problems({"nope": 1, "legacy": "x"})
    assert "Unknown custom field “nope”" in errors["custom.nope"][0]
    assert "budget" in errors["custom.nope"][0]  # lists what is known
    assert "switched off" in errors["custom.legacy"][0]


def test_required_on_create_and_when_given_on_update(define):
    define("budget", "money", required=True)
    define("temp", "choice", required=True)
    errors = problems({})
    assert "Budget is required" in errors["custom.budget"][0]
    assert "choose one of: Hot, Warm, Cold" in errors["custom.temp"][0]
    # An update that does not touch the field leaves it alone …
    assert clean_custom("account", {}, partial=True) == {}
    # … but cannot clear it.
    assert "required" in problems({"budget": ""}, partial=True)["custom.budget"][0]


def test_yes_no_false_counts_as_an_answer(define):
    define("vip", "boolean", required=True)
    assert clean_custom("account", {"vip": False}) == {"vip": False}
    assert "required" in problems({"vip": None})["custom.vip"][0]


def test_required_by_a_layout(define):
    define("budget", "money")
    errors = problems({}, required=["custom.budget"])
    assert "required" in errors["custom.budget"][0]


def test_defaults_fill_missing_values_on_create_only(define):
    define("temp", "choice", default="warm")
    define("vip", "boolean", default=False)
    assert clean_custom("account", {}) == {"temp": "warm", "vip": False}
    assert clean_custom("account", {"temp": "hot"}) == {"temp": "hot", "vip": False}
    assert clean_custom("account", {}, partial=True) == {}
    # Cleared on purpose: no default put back.
    assert clean_custom("account", {"temp": ""})["temp"] is None


def test_a_required_field_with_a_default_is_satisfied(define):
    define("temp", "choice", default="warm", required=True)
    assert clean_custom("account", {}) == {"temp": "warm"}


def test_custom_must_be_an_object(define):
    with pytest.raises(ValidationError) as exc:
        clean_custom("account", ["budget"])
    assert "custom" in exc.value.message_dict


def test_messages_are_translated(define):
    define("budget", "money", label_zh="预算", label_en="Budget")
    with translation.override("zh-hans"):
        message = problems({"budget": "lots"})["custom.budget"][0]
    assert message.startswith("预算")
