"""Business calendar: Chinese workdays (incl. make-up workdays) and working hours.

Workdays come from chinese-calendar (State Council schedule). For years it does not know
yet, Monday–Friday are workdays, and an admin enters the known holidays and make-up
workdays on Settings · Organisation until the library catches up
(:func:`years_without_data` says which years need them). Working periods (default
09:00–18:00, optionally with a lunch break) come from the same page
(``core.orgsettings``) and are counted in the organisation's time zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import chinese_calendar
from django.utils import timezone

from . import orgsettings


@dataclass(frozen=True)
class Period:
    start: dt.time
    end: dt.time

    @property
    def minutes(self) -> int:
        return (self.end.hour * 60 + self.end.minute) - (self.start.hour * 60 + self.start.minute)


def parse_periods(spec: str) -> tuple[Period, ...]:
    """Parse ``"09:00-12:00,13:00-18:00"`` into ordered, non-overlapping periods."""
    periods = []
    for chunk in spec.split(","):
        chunk = chunk.strip()
        if not chunk:
            continue
        try:
            left, right = chunk.split("-")
            start = dt.time.fromisoformat(left.strip())
            end = dt.time.fromisoformat(right.strip())
        except ValueError as exc:
            raise ValueError(f"working hours {chunk!r}: expected HH:MM-HH:MM") from exc
        if end <= start:
            raise ValueError(f"working hours {chunk!r}: the end must be after the start")
        if periods and start < periods[-1].end:
            raise ValueError(f"working hours {chunk!r} overlaps the previous period")
        periods.append(Period(start, end))
    if not periods:
        raise ValueError("working hours: at least one period is needed")
    return tuple(periods)


def _date_set(values) -> frozenset[dt.date]:
    return frozenset(dt.date.fromisoformat(v) if isinstance(v, str) else v for v in values or ())


class BusinessCalendar:
    """Workdays and working minutes. Instances are cheap; use :func:`default_calendar`."""

    def __init__(
        self,
        periods: str | tuple[Period, ...] = "09:00-18:00",
        tz=None,
        extra_holidays=(),
        extra_workdays=(),
    ):
        self.periods = parse_periods(periods) if isinstance(periods, str) else tuple(periods)
        self.tz = tz or timezone.get_default_timezone()
        self.extra_holidays = _date_set(extra_holidays)
        self.extra_workdays = _date_set(extra_workdays)
        self.minutes_per_day = sum(p.minutes for p in self.periods)

    # --- days ---------------------------------------------------------------------
    def is_workday(self, day: dt.date) -> bool:
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays:
            return False
        return _library_workday(day)

    def next_workday(self, day: dt.date) -> dt.date:
        day += dt.timedelta(days=1)
        while not self.is_workday(day):
            day += dt.timedelta(days=1)
        return day

    def add_working_days(self, day: dt.date, days: int) -> dt.date:
        for _ in range(days):
            day = self.next_workday(day)
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Workdays in ``(start, end]``: how many working days passed from start to end."""
        if end <= start:
            return 0
        count = 0
        day = start + dt.timedelta(days=1)
        while day <= end:
            if self.is_workday(day):
                count += 1
            day += dt.timedelta(days=1)
        return count

    def workday_counter(self, start: dt.date, end: dt.date) -> Callable[[dt.date, dt.date], int]:
        """A counter equal to :meth:`working_days_between` for many date pairs: the
        workdays from ``start`` to ``end`` are counted once into a cumulative index, and
        each pair inside that range is one subtraction (a pair outside it is counted day
        by day, as :meth:`working_days_between` does)."""
        days = max((end - start).days, 0)
        # before[i] = workdays in (start, start + i]
        before = [0] * (days + 1)
        count = 0
        day = start
        for i in range(1, days + 1):
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                count += 1
            before[i] = count

        def between(first: dt.date, last: dt.date) -> int:
            if last <= first:
                return 0
            i, j = (first - start).days, (last - start).days
            if i < 0 or j > days:
                return self.working_days_between(first, last)
            return before[j] - before[i]

        return between

    # --- minutes ------------------------------------------------------------------
    def _windows(self, day: dt.date):
        for p in self.periods:
            yield (
                dt.datetime.combine(day, p.start, tzinfo=self.tz),
                dt.datetime.combine(day, p.end, tzinfo=self.tz),
            )

    def add_working_minutes(self, start: dt.datetime, minutes: int | float) -> dt.datetime:
        """The instant ``minutes`` working minutes after ``start``.

        Time outside working periods does not count: 30 minutes before closing plus 60
        minutes ends 30 minutes after the next working day opens.
        """
        if minutes < 0:
            raise ValueError("minutes must not be negative")
        moment = start.astimezone(self.tz)
        remaining = dt.timedelta(minutes=minutes)
        day = moment.date()
        # Whole days are skipped arithmetically so a 10-day timer does not walk minutes.
        while True:
            if self.is_workday(day):
                for w_start, w_end in self._windows(day):
                    if moment >= w_end:
                        continue
                    begin = max(moment, w_start)
                    available = w_end - begin
                    if remaining <= available:
                        return (begin + remaining).astimezone(dt.UTC)
                    remaining -= available
                    moment = w_end
                if remaining == dt.timedelta(0):
                    return moment.astimezone(dt.UTC)
            day += dt.timedelta(days=1)
            moment = dt.datetime.combine(day, dt.time.min, tzinfo=self.tz)
            full_day = dt.timedelta(minutes=self.minutes_per_day)
            while remaining > full_day and self.is_workday(day):
                # consume complete workdays quickly
                nxt = day + dt.timedelta(days=1)
                remaining -= full_day
                day = nxt
                moment = dt.datetime.combine(day, dt.time.min, tzinfo=self.tz)

    def working_minutes_between(self, start: dt.datetime, end: dt.datetime) -> int:
        """Whole working minutes in ``[start, end)``; 0 if end is not after start."""
        if end <= start:
            return 0
        a = start.astimezone(self.tz)
        b = end.astimezone(self.tz)
        total = dt.timedelta(0)
        day = a.date()
        while day <= b.date():
            if self.is_workday(day):
                for w_start, w_end in self._windows(day):
                    lo, hi = max(a, w_start), min(b, w_end)
                    if hi > lo:
                        total += hi - lo
            day += dt.timedelta(days=1)
        return int(total.total_seconds() // 60)

    def is_working_time(self, moment: dt.datetime) -> bool:
        local = moment.astimezone(self.tz)
        if not self.is_workday(local.date()):
            return False
        return any(w_start <= local < w_end for w_start, w_end in self._windows(local.date()))


@lru_cache(maxsize=8192)
def _library_workday(day: dt.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        # chinese-calendar only knows published years; fall back to Monday–Friday.
        return day.weekday() < 5


def _build_calendar() -> BusinessCalendar:
    policy = orgsettings.current()
    return BusinessCalendar(
        policy.working_hours,
        extra_holidays=policy.extra_holidays,
        extra_workdays=policy.extra_workdays,
    )


def default_calendar() -> BusinessCalendar:
    """The organisation's calendar (cached with its settings; a save is seen at once)."""
    return orgsettings.cache.get("calendar", _build_calendar)


def library_knows(year: int) -> bool:
    """Whether chinese-calendar has the State Council schedule of ``year``."""
    try:
        chinese_calendar.is_workday(dt.date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def years_without_data(today: dt.date) -> list[int]:
    """The current or next year when neither chinese-calendar nor the admin has its
    holidays: its 元旦, Spring Festival and National Day would count as workdays."""
    holidays = orgsettings.current().extra_holidays
    entered = {day.year for day in holidays}
    return [
        year
        for year in (today.year, today.year + 1)
        if not library_knows(year) and year not in entered
    ]


def add_working_minutes(start: dt.datetime, minutes: int | float) -> dt.datetime:
    return default_calendar().add_working_minutes(start, minutes)


def working_minutes_between(start: dt.datetime, end: dt.datetime) -> int:
    return default_calendar().working_minutes_between(start, end)


def working_days_between(start: dt.date, end: dt.date) -> int:
    return default_calendar().working_days_between(start, end)


def workday_counter(start: dt.date, end: dt.date) -> Callable[[dt.date, dt.date], int]:
    """:func:`working_days_between` for many pairs of dates within ``[start, end]``:
    ``count = workday_counter(start, end)`` then ``count(a, b)`` (see
    :meth:`BusinessCalendar.workday_counter`)."""
    return default_calendar().workday_counter(start, end)


def is_workday(day: dt.date) -> bool:
    return default_calendar().is_workday(day)


def add_working_days(start: dt.datetime, days: int | float) -> dt.datetime:
    """The instant ``days`` full working days (of working time) after ``start``: a deal
    that entered a stage on Friday 10:00 has spent 5 working days there on the next
    Friday 10:00, or later when a holiday falls between."""
    calendar = default_calendar()
    return calendar.add_working_minutes(start, days * calendar.minutes_per_day)


def working_days_elapsed(start: dt.datetime, end: dt.datetime) -> float:
    """Working time between two instants in working days (fractional, 2 decimals)."""
    calendar = default_calendar()
    if not calendar.minutes_per_day:
        return 0.0
    return round(calendar.working_minutes_between(start, end) / calendar.minutes_per_day, 2)
