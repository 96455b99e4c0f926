"""Weeks and instants: the board's weeks start on Monday, local time."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def instant(day: dt.date) -> dt.datetime:
    """Local midnight starting ``day`` (the organisation's time zone)."""
    return timezone.make_aware(
        dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone()
    )


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def weeks_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """The Mondays from ``first``'s week to ``last``'s week, both included."""
    monday, weeks = week_start(first), []
    while monday <= last:
        weeks.append(monday)
        monday += dt.timedelta(days=7)
    return weeks
