"""``subtract_working_minutes`` is the inverse the timer sweep needs of
``add_working_minutes``: a timer started at ``s`` is due at ``t`` exactly when
``s <= subtract_working_minutes(t, minutes)``."""

import datetime as dt

from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from salesops.automation.triggers import due_cutoff, subtract_working_minutes
from salesops.core.calendar import BusinessCalendar

from .conftest import SH, at

CAL = BusinessCalendar("09:00-18:00", tz=SH)
LUNCH = BusinessCalendar("09:00-12:00,13:00-18:00", tz=SH)
ONE_SECOND = dt.timedelta(seconds=1)

instants = st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2027, 12, 31)).map(
    lambda d: d.replace(tzinfo=SH)
)
durations = st.integers(min_value=1, max_value=20_000)
calendars = st.sampled_from([CAL, LUNCH])


@hypothesis_settings(max_examples=400, deadline=None)
@given(end=instants, minutes=durations, cal=calendars)
def test_the_cutoff_is_the_latest_start_that_is_due(end, minutes, cal):
    cutoff = subtract_working_minutes(cal, end, minutes)
    assert cal.add_working_minutes(cutoff, minutes) <= end
    assert cal.add_working_minutes(cutoff + ONE_SECOND, minutes) > end


@hypothesis_settings(max_examples=400, deadline=None)
@given(start=instants, minutes=durations, cal=calendars)
def test_a_start_is_due_exactly_from_its_due_instant(start, minutes, cal):
    due = cal.add_working_minutes(start, minutes)
    assert start <= subtract_working_minutes(cal, due, minutes)
    assert start > subtract_working_minutes(cal, due - ONE_SECOND, minutes)


def test_examples_across_a_night_and_national_day():
    # 60 working minutes before 10-08 09:30 is 09-30 17:30 (10-01..10-07 are holidays)
    assert subtract_working_minutes(CAL, at("2026-10-08", "09:30"), 60) == at("2026-09-30", "17:30")
    # during the night nothing new falls due: the cutoff stays at 17:00
    assert subtract_working_minutes(CAL, at("2026-11-23", "23:00"), 60) == at("2026-11-23", "17:00")
    assert subtract_working_minutes(CAL, at("2026-11-24", "09:00"), 60) == at("2026-11-23", "17:00")
    # lunch is not working time
    assert subtract_working_minutes(LUNCH, at("2026-11-23", "13:30"), 60) == at(
        "2026-11-23", "11:30"
    )
    # a whole working week back, over a weekend
    assert subtract_working_minutes(CAL, at("2026-11-30", "10:00"), 5 * 540) == at(
        "2026-11-23", "10:00"
    )


def test_calendar_minutes_are_plain_subtraction():
    assert due_cutoff(at("2026-11-23", "01:00"), 120, "calendar") == at("2026-11-22", "23:00")
