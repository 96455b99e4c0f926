"""Cell parsing by kind: the formats Chinese spreadsheets use, and messages that name the
fix."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from salesops.exchange import values
from salesops.exchange.registry import Field, Kind

# No table is read; the project's session fixtures need the test database.
pytestmark = pytest.mark.django_db

DATE = Field("signed_on", "signed on", kind=Kind.DATE)
DATETIME = Field("happened_at", "happened at", kind=Kind.DATETIME)
MONEY = Field("amount", "amount", kind=Kind.MONEY)
INT = Field("seats", "seats", kind=Kind.INT)
DECIMAL = Field("probability", "probability", kind=Kind.DECIMAL)
BOOL = Field("nda", "NDA", kind=Kind.BOOL)
CHOICE = Field(
    "stage",
    "stage",
    kind=Kind.CHOICE,
    choices=(("won", "赢单", "Won"), ("lost", "输单", "Lost")),
)
TEXT = Field("phone", "phone", kind=Kind.PHONE)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def parse(field, raw):
    with translation.override("en"):
        return values.parse(field, raw)


def message(field, raw) -> str:
    with translation.override("en"), pytest.raises(ValueError) as info:
        values.parse(field, raw)
    return str(info.value)


@pytest.mark.parametrize(
    "raw",
    [
        "2026-11-03",
        "2026/11/3",
        "2026年11月3日",
        " 2026 年 11 月 3 日 ",
        "2026年11月3号",
        "2026.11.3",
        "20261103",
        46329.0,
        46329,
        "46329",
        dt.date(2026, 11, 3),
        dt.datetime(2026, 11, 3, 17, 45),
        "2026-11-03 14:30",
    ],
)
def test_dates_in_every_accepted_format(raw):
    assert parse(DATE, raw) == dt.date(2026, 11, 3)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (46329.5, dt.datetime(2026, 11, 3, 12, 0)),
        (46329.75, dt.datetime(2026, 11, 3, 18, 0)),
        # A time a hair before midnight rounds to the next day, not back to 00:00.
        (46329.999999, dt.datetime(2026, 11, 4, 0, 0)),
        ("2026/11/3 9:05", dt.datetime(2026, 11, 3, 9, 5)),
        ("2026年11月3日 09：05：30", dt.datetime(2026, 11, 3, 9, 5, 30)),
        (dt.datetime(2026, 11, 3, 8, 15), dt.datetime(2026, 11, 3, 8, 15)),
        ("2026-11-03", dt.datetime(2026, 11, 3, 0, 0)),
    ],
)
def test_datetimes_are_aware_in_the_org_time_zone(raw, expected):
    value = parse(DATETIME, raw)
    assert value == expected.replace(tzinfo=SHANGHAI)
    assert value.utcoffset() == dt.timedelta(hours=8)


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("2026/13/40", "“2026/13/40” is not a real date."),
        ("2026-02-30", "“2026-02-30” is not a real date."),
        ("next week", "“next week” is not a date; write it like 2026-11-03"),
        (0, "“0” is not a date."),
        (-3.5, "“-3.5” is not a date."),
    ],
)
def test_bad_dates_name_the_value(raw, text):
    assert text in message(DATE, raw)


def test_bad_date_message_is_translated():
    with translation.override("zh-hans"), pytest.raises(ValueError) as info:
        values.parse(DATE, "2026/13/40")
    assert "2026/13/40" in str(info.value)
    assert "is not" not in str(info.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("¥1,234.50", "1234.50"),
        ("￥1,000", "1000.00"),
        ("1.2万", "12000.00"),
        ("1.2万元", "12000.00"),
        ("12,345元", "12345.00"),
        ("1,234.50 元", "1234.50"),
        ("1亿", "100000000.00"),
        ("RMB 100", "100.00"),
        ("-1,234.5", "-1234.50"),
        ("-¥1,234.50", "-1234.50"),
        ("(1,234.50)", "-1234.50"),
        (1234.5, "1234.50"),
        (1234.555, "1234.56"),
        ("0.005", "0.01"),
        (12800, "12800.00"),
    ],
)
def test_money(raw, expected):
    assert parse(MONEY, raw) == Decimal(expected)


@pytest.mark.parametrize("raw", ["abc", "12..5", "万", True, "1e400"])
def test_bad_money_is_refused_with_the_value(raw):
    assert f"“{raw}”" in message(MONEY, raw)


def test_money_message_shows_the_accepted_shape():
    assert "write it like 12800 or 1.28万" in message(MONEY, "一万二")


@pytest.mark.parametrize(
    ("raw", "expected"), [("12", 12), ("12.0", 12), (12.0, 12), ("1,000", 1000), (-3, -3)]
)
def test_ints(raw, expected):
    assert parse(INT, raw) == expected


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("12.5", "“12.5” is not a whole number."),
        ("many", "“many” is not a number."),
        (True, "“True” is not a number."),
    ],
)
def test_bad_ints(raw, text):
    assert message(INT, raw) == text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12.5", "12.5"), ("1,234.5", "1234.5"), ("12.5%", "12.5"), ("30 %", "30"), (0.1, "0.1")],
)
def test_decimals_and_percent_text(raw, expected):
    assert parse(DECIMAL, raw) == Decimal(expected)


def test_decimal_refuses_text_and_huge_numbers():
    assert message(DECIMAL, "x") == "“x” is not a number."
    assert message(DECIMAL, "1e400") == "“1e400” is too large a number."
    assert message(DECIMAL, "NaN") == "“NaN” is not a number."


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("是", True),
        ("否", False),
        ("对", True),
        ("√", True),
        ("×", False),
        ("Yes", True),
        ("NO", False),
        ("y", True),
        ("n", False),
        ("true", True),
        ("False", False),
        ("1", True),
        (1.0, True),
        (0, False),
        (True, True),
    ],
)
def test_bools_in_chinese_and_english(raw, expected):
    assert parse(BOOL, raw) is expected


def test_bad_bool():
    assert message(BOOL, "maybe") == "“maybe” is not yes or no; write 是 or 否."


@pytest.mark.parametrize("raw", ["won", "WON", "赢单", "Won", " won "])
def test_choice_by_code_chinese_or_english_label(raw):
    assert parse(CHOICE, raw) == "won"


def test_bad_choice_lists_the_choices_in_the_users_language():
    assert message(CHOICE, "平局") == "“平局” is not one of the choices: Won, Lost."
    with translation.override("zh-hans"), pytest.raises(ValueError) as info:
        values.parse(CHOICE, "平局")
    assert "赢单、输单" in str(info.value)


@pytest.mark.parametrize(
    ("raw", "expected"), [(13800138000.0, "13800138000"), (" 021-1234 ", "021-1234")]
)
def test_text_keeps_phone_numbers_whole(raw, expected):
    assert parse(TEXT, raw) == expected


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_empty_cells_are_none_for_every_kind(raw):
    for field in (DATE, DATETIME, MONEY, INT, DECIMAL, BOOL, CHOICE, TEXT):
        assert parse(field, raw) is None
