"""The KPI module's periods: months (score runs, credibility lists) and calendar quarters
(the radar, customer voice, the gap alert). One place for the date arithmetic."""

from __future__ import annotations

import calendar
import datetime as dt


def month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of ``day``'s month."""
    last = calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=1), day.replace(day=last)


def month_end(day: dt.date) -> dt.date:
    return month_bounds(day)[1]


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months`` calendar months (clamped to the month's last day)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    first = dt.date(year, month + 1, 1)
    return first.replace(day=min(day.day, month_end(first).day))


def quarter_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar quarter holding ``day``: its first and last day."""
    start = dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return start, month_end(add_months(start, 2))


def previous_quarter(start: dt.date) -> tuple[dt.date, dt.date]:
    """The quarter before the one starting on (or holding) ``start``."""
    return quarter_bounds(quarter_bounds(start)[0] - dt.timedelta(days=1))
