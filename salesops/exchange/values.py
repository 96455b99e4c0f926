"""Turn one cell into a Python value by the field's kind, or raise ``ValueError`` with a
message that names the fix. Dates are read in the formats Chinese spreadsheets use
(2026-11-03, 2026/11/3, 2026年11月3日, 2026.11.3, 20261103) and as Excel serial numbers;
money as 1234.5, ¥1,234.50, 1.2万, 12,345元, 1亿, (1,234.50) for a negative amount and
rounded half up to the cent (四舍五入). Percent text in a number column keeps its figure:
“12.5%” is 12.5 (the columns that take a percent hold percentage points)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .registry import Field, Kind

EXCEL_EPOCH = dt.date(1899, 12, 30)
# Larger than any amount or figure a sales record holds: refused here with a message
# rather than by the database.
LIMIT = Decimal(10) ** 15
_DATE = re.compile(
    r"^\s*(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?|(\d{2})(\d{2}))"
    r"(?:[ T]+(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?(?:\.\d+)?)?\s*$"
)
TRUE = {"是", "yes", "y", "true", "1", "对", "√", "✓", "t"}
FALSE = {"否", "no", "n", "false", "0", "不", "×", "f"}


def is_empty(raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def parse(field: Field, raw):
    """The value of ``raw`` (a cell as read: str, float, int, bool, date, datetime) for
    ``field``; ``None`` for an empty cell."""
    if is_empty(raw):
        return None
    parser = PARSERS.get(field.kind, parse_text)
    return parser(field, raw)


def parse_text(field: Field, raw) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, dt.datetime | dt.date):
        return raw.isoformat()
    return str(raw).strip()


def parse_int(field: Field, raw) -> int:
    value = parse_decimal(field, raw)
    if value != value.to_integral_value():
        raise ValueError(_("“%(value)s” is not a whole number.") % {"value": raw})
    return int(value)


def parse_decimal(field: Field, raw) -> Decimal:
    if isinstance(raw, bool):
        raise ValueError(_("“%(value)s” is not a number.") % {"value": raw})
    if isinstance(raw, int | float):
        return Decimal(str(raw))
    text = str(raw).strip().replace(",", "").replace("，", "").replace(" ", "")
    percent = text.endswith("%")
    text = text.rstrip("%")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(_("“%(value)s” is not a number.") % {"value": raw}) from None
    if not value.is_finite():
        raise ValueError(_("“%(value)s” is not a number.") % {"value": raw})
    _check_size(value, raw)
    # “12.5%” is 12.5: percent columns hold percentage points.
    del percent
    return value


def _check_size(value: Decimal, raw) -> None:
    if abs(value) >= LIMIT:
        raise ValueError(_("“%(value)s” is too large a number.") % {"value": raw})


def parse_money(field: Field, raw) -> Decimal:
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        value = Decimal(str(raw))
    else:
        text = str(raw).strip().replace(",", "").replace("，", "").replace(" ", "")
        negative = (
            text.startswith("(")
            and text.endswith(")")
            or (text.startswith("（") and text.endswith("）"))
        )
        if negative:
            # Accounting style: (1,234.50) is a negative amount.
            text = text[1:-1]
        for sign in ("¥", "￥", "RMB", "CNY", "元", "人民币"):
            text = text.replace(sign, "")
        factor = Decimal(1)
        if text.endswith("万"):
            text, factor = text[:-1], Decimal(10_000)
        elif text.endswith("亿"):
            text, factor = text[:-1], Decimal(100_000_000)
        try:
            value = Decimal(text) * factor
            if negative:
                value = -value
        except InvalidOperation:
            raise ValueError(
                _("“%(value)s” is not an amount of money; write it like 12800 or 1.28万.")
                % {"value": raw}
            ) from None
    if not value.is_finite():
        raise ValueError(_("“%(value)s” is not an amount of money.") % {"value": raw})
    _check_size(value, raw)
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _date_parts(raw):
    """(date, time or None) from a cell."""
    if isinstance(raw, dt.datetime):
        return raw.date(), raw.time()
    if isinstance(raw, dt.date):
        return raw, None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        # An Excel serial date (days since 1899-12-30; the fraction is the time of day).
        if not 1 <= raw < 2_958_466:
            raise ValueError(_("“%(value)s” is not a date.") % {"value": raw})
        # Rounded to the second as a whole, so 23:59:59.9 is the next midnight, not the
        # same day's.
        moment = dt.datetime.combine(EXCEL_EPOCH, dt.time()) + dt.timedelta(
            seconds=round(raw * 86400)
        )
        fraction = raw != int(raw)
        return moment.date(), moment.time() if fraction else None
    text = str(raw).strip()
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return _date_parts(float(text))
    match = _DATE.match(text)
    if not match:
        raise ValueError(
            _("“%(value)s” is not a date; write it like 2026-11-03, 2026/11/3 or 2026年11月3日.")
            % {"value": raw}
        )
    year, month, day, month2, day2, hour, minute, second = match.groups()
    try:
        date = dt.date(int(year), int(month or month2), int(day or day2))
        time = dt.time(int(hour), int(minute), int(second or 0)) if hour is not None else None
    except ValueError:
        raise ValueError(_("“%(value)s” is not a real date.") % {"value": raw}) from None
    return date, time


def parse_date(field: Field, raw) -> dt.date:
    return _date_parts(raw)[0]


def parse_datetime(field: Field, raw) -> dt.datetime:
    date, time = _date_parts(raw)
    value = dt.datetime.combine(date, time or dt.time(0, 0))
    return timezone.make_aware(value, timezone.get_default_timezone())


def parse_bool(field: Field, raw) -> bool:
    if isinstance(raw, bool):
        return raw
    text = parse_text(field, raw).lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValueError(_("“%(value)s” is not yes or no; write 是 or 否.") % {"value": raw})


def parse_choice(field: Field, raw) -> str:
    text = parse_text(field, raw)
    folded = text.casefold()
    for value, zh, en in field.choice_labels():
        if folded in (value.casefold(), zh.casefold(), en.casefold()):
            return value
    chinese = (translation.get_language() or "").lower().startswith("zh")
    names = ("、" if chinese else ", ").join(
        zh if chinese else en for _v, zh, en in field.choice_labels()
    )
    raise ValueError(
        _("“%(value)s” is not one of the choices: %(choices)s.") % {"value": text, "choices": names}
    )


PARSERS = {
    Kind.TEXT: parse_text,
    Kind.PHONE: parse_text,
    Kind.EMAIL: parse_text,
    Kind.REF: parse_text,
    Kind.INT: parse_int,
    Kind.DECIMAL: parse_decimal,
    Kind.MONEY: parse_money,
    Kind.DATE: parse_date,
    Kind.DATETIME: parse_datetime,
    Kind.BOOL: parse_bool,
    Kind.CHOICE: parse_choice,
}
