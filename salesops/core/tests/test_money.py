"""Money: Decimal CNY with two places, rounded half-up; floats refused."""

from decimal import Decimal

import pytest

from salesops.core.money import format_cny, money_sum, percent, to_money


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2.345", "2.35"),  # half-up, where banker's rounding would give 2.34
        ("2.344", "2.34"),
        ("-2.345", "-2.35"),  # half away from zero for refunds too
        (Decimal("0.005"), "0.01"),
        (" 12.5 ", "12.50"),
        (7, "7.00"),
        ("", "0.00"),
        (None, "0.00"),
    ],
)
def test_amounts_are_rounded_half_up_to_cents(value, expected):
    assert to_money(value) == Decimal(expected)
    assert to_money(value).as_tuple().exponent == -2


def test_floats_are_refused():
    with pytest.raises(TypeError, match="must not be a float"):
        to_money(0.1)


@pytest.mark.parametrize("value", ["abc", "1,000", "NaN", "Infinity", "1e999999"])
def test_text_that_is_not_an_amount_is_refused(value):
    with pytest.raises(ValueError, match="not an amount of money"):
        to_money(value)


def test_sums_are_exact():
    assert money_sum(["0.10", "0.20", 1]) == Decimal("1.30")
    assert money_sum([]) == Decimal("0.00")


def test_format_cny_groups_thousands_and_shows_two_places():
    assert format_cny("1234567.891") == "¥1,234,567.89"
    assert format_cny(0) == "¥0.00"
    assert format_cny("0.005", symbol=False) == "0.01"


def test_percent_is_zero_for_an_empty_whole():
    assert percent(1, 3) == Decimal("33.3")
    assert percent(5, 0) == Decimal("0")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_templates_show_money_grouped_by_thousands_in_every_language(language):
    from django.template import Context, Template
    from django.utils import translation

    template = Template(
        "{% load money %}{{ a|cny }}|{{ a|money }}|{{ b|cny }}|{{ c|cny }}|{{ d|money }}"
    )
    with translation.override(language):
        text = template.render(
            Context({"a": Decimal("5374800"), "b": Decimal("-1234.5"), "c": None, "d": "12"})
        )
    assert text == "¥5,374,800.00|5,374,800.00|-¥1,234.50|—|12.00"
