"""The functions a formula may call (``round``, ``clamp``, ``days_between`` …) and the
error every part of the expression language raises: the library half of
:mod:`salesops.core.expressions`, which parses, checks and evaluates."""

from __future__ import annotations

import datetime as dt
import decimal
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

MAX_STRING_LENGTH = 10_000
# Whole numbers beyond this many digits are refused: no business formula needs them, and
# building them (``(10**100)**2**…``, ``int(decimal('1e999999999'))``) can take minutes.
MAX_INT_DIGITS = 1000
MAX_ROUND_PLACES = 100


class ExpressionError(ValueError):
    """A formula that cannot be used, with where and why (for the person who wrote it)."""

    def __init__(self, message: str, *, position: int | None = None, name: str | None = None):
        self.message = message
        self.position = position
        self.name = name
        where = f" (position {position})" if position is not None else ""
        super().__init__(f"{message}{where}")


def _round(value, places=0):
    places = int(places)
    if abs(places) > MAX_ROUND_PLACES:
        # round(5, -10**8) builds 10**(10**8) inside Python and runs for minutes.
        raise ExpressionError(
            _("round(): the number of places must be between -%(max)d and %(max)d.")
            % {"max": MAX_ROUND_PLACES}
        )
    if isinstance(value, Decimal):
        quantum = Decimal(1).scaleb(-int(places))
        return value.quantize(quantum, rounding=ROUND_HALF_UP)
    return round(value, int(places))


def _clamp(value, low, high):
    if low > high:
        raise ExpressionError(_("clamp(): the lower bound is above the upper bound"))
    return max(low, min(high, value))


def _if(condition, then, otherwise):
    return then if condition else otherwise


def _coalesce(*values):
    for v in values:
        if v is not None and v != "":
            return v
    return None


def _is_int(value) -> bool:
    return isinstance(value, int)  # bool included: True / 2 is 0.5 like 1 / 2


def _true_div(a, b):
    """``a / b``; two whole numbers give an exact Decimal, not a binary float, so
    ``7 / 2 * 0.5`` (Decimal literal) works and ``1 / 10 == 0.1`` holds."""
    if _is_int(a) and _is_int(b):
        return Decimal(a) / Decimal(b)
    return a / b


def _safe_div(a, b, default=0):
    return default if not b else _true_div(a, b)


def _safe_str(value) -> str:
    if isinstance(value, (list, tuple)):
        # str() of a list repeats shared sublists: a short formula could print gigabytes.
        raise ExpressionError(_("Only a single value can be turned into text, not a list."))
    text = str(value)
    if len(text) > MAX_STRING_LENGTH:
        raise ExpressionError(_("The text result would be too long."))
    return text


def _safe_int(value=0):
    if isinstance(value, Decimal) and value.is_finite() and value.adjusted() > MAX_INT_DIGITS:
        raise ExpressionError(
            _("The number is too large (more than %(n)d digits).") % {"n": MAX_INT_DIGITS}
        )
    if isinstance(value, (list, tuple)):
        raise ExpressionError(_("int() needs a single value, not a list."))
    return int(value)


def _decimal(value):
    try:
        return Decimal(_safe_str(value).strip())
    except decimal.InvalidOperation:
        raise ExpressionError(
            _("decimal(): “%(value)s” is not a number.") % {"value": value}
        ) from None


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(_safe_str(value).strip()[:10])
    except ValueError:
        raise ExpressionError(
            _("days_between(): “%(value)s” is not a date.") % {"value": value}
        ) from None


def _days_between(start, end):
    """Whole days from ``start`` to ``end`` (dates; instants count by their date in the
    organisation's time zone); ``None`` when either is missing."""
    if start is None or end is None:
        return None
    return (_as_date(end) - _as_date(start)).days


FUNCTIONS: dict[str, Any] = {
    "min": min,
    "max": max,
    "abs": abs,
    "round": _round,
    "clamp": _clamp,
    "if_": _if,
    "coalesce": _coalesce,
    "div": _safe_div,
    "len": len,
    "int": _safe_int,
    "decimal": _decimal,
    "str": _safe_str,
    "lower": lambda s: _safe_str(s).lower(),
    "contains": lambda haystack, needle: needle in (haystack or ""),
    "startswith": lambda s, prefix: _safe_str(s or "").startswith(prefix),
    "days_between": _days_between,
}
CONSTANTS = {"True": True, "False": False, "None": None, "true": True, "false": False}
