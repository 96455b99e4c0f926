"""ISO weeks ("2026-W49"): the precision of implementation schedules."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")


def parse_week(value: str) -> tuple[int, int]:
    """``(year, week)`` of an ISO week string; ``ValidationError`` when it is not one (the
    format, or a week 53 in a year that has only 52)."""
    match = WEEK_RE.match(value or "")
    if match:
        year, week = int(match.group(1)), int(match.group(2))
        try:
            dt.date.fromisocalendar(year, week, 1)
        except ValueError:
            pass
        else:
            return year, week
    raise ValidationError(
        _("Enter an ISO week such as 2026-W49 (year, “-W”, week 01–52 or 53 in long years)."),
        code="invalid_week",
    )


def validate_week(value: str) -> None:
    if value:
        parse_week(value)


def week_monday(value: str) -> dt.date:
    year, week = parse_week(value)
    return dt.date.fromisocalendar(year, week, 1)


def week_of(day: dt.date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"
