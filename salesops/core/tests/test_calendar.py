"""The business calendar: Chinese workdays (with make-up days) and working minutes.

Dates are checked against the State Council schedule as published in chinese-calendar:
2026 Spring Festival 02-15..02-23 off with make-up Saturdays 02-14 and 02-28; Mid-autumn
09-25..09-27 off; National Day 10-01..10-07 off with make-up days Sunday 09-20 and
Saturday 10-10.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from salesops.core import calendar
from salesops.core.calendar import BusinessCalendar, parse_periods
from salesops.core.models import CalendarDay, OrgSettings

SH = ZoneInfo("Asia/Shanghai")
LUNCH = "09:00-12:00,13:00-18:00"


def at(day: str, hhmm: str) -> dt.datetime:
    """An instant in Shanghai time: ``at("2026-03-03", "09:30")``."""
    return dt.datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=SH)


def local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(SH)


@pytest.fixture
def cal():
    return BusinessCalendar("09:00-18:00", tz=SH)


@pytest.fixture
def lunch_cal():
    return BusinessCalendar(LUNCH, tz=SH)


# --- days ------------------------------------------------------------------------------


@pytest.mark.parametrize("day", ["2026-02-14", "2026-02-28", "2026-09-20", "2026-10-10"])
def test_make_up_weekend_days_are_workdays(cal, day):
    date = dt.date.fromisoformat(day)
    assert date.weekday() >= 5, "the make-up day is on a weekend"
    assert cal.is_workday(date)


@pytest.mark.parametrize("day", [f"2026-10-{d:02d}" for d in range(1, 8)])
def test_national_day_holidays_are_not_workdays(cal, day):
    assert not cal.is_workday(dt.date.fromisoformat(day))


@pytest.mark.parametrize("day", [f"2026-02-{d:02d}" for d in range(15, 24)])
def test_spring_festival_holidays_are_not_workdays(cal, day):
    assert not cal.is_workday(dt.date.fromisoformat(day))


def test_ordinary_weekdays_work_and_ordinary_weekends_rest(cal):
    assert cal.is_workday(dt.date(2026, 3, 3))  # Tuesday
    assert not cal.is_workday(dt.date(2026, 3, 7))  # Saturday
    assert not cal.is_workday(dt.date(2026, 10, 11))  # Sunday after the make-up Saturday


def test_working_days_between_counts_make_up_days_and_skips_holidays(cal):
    # (09-30, 10-10]: the holiday week, then Thu 10-08, Fri 10-09 and make-up Sat 10-10
    assert cal.working_days_between(dt.date(2026, 9, 30), dt.date(2026, 10, 10)) == 3
    # (02-13, 02-28]: make-up Sat 02-14, the festival, then 02-24..02-27 and make-up Sat 02-28
    assert cal.working_days_between(dt.date(2026, 2, 13), dt.date(2026, 2, 28)) == 6


def test_working_days_between_is_zero_when_end_is_not_after_start(cal):
    day = dt.date(2026, 3, 3)
    assert cal.working_days_between(day, day) == 0
    assert cal.working_days_between(day, day - dt.timedelta(days=5)) == 0


def test_add_working_days_jumps_over_the_holiday(cal):
    assert cal.add_working_days(dt.date(2026, 9, 30), 1) == dt.date(2026, 10, 8)
    assert cal.add_working_days(dt.date(2026, 9, 30), 3) == dt.date(2026, 10, 10)
    assert cal.next_workday(dt.date(2026, 2, 14)) == dt.date(2026, 2, 24)


def test_years_beyond_the_library_fall_back_to_monday_to_friday(cal):
    # given a year chinese-calendar has no schedule for
    monday = dt.date(2099, 1, 5)
    assert monday.weekday() == 0
    week = [monday + dt.timedelta(days=i) for i in range(7)]
    # then Monday–Friday work and the weekend rests (no exception)
    assert [cal.is_workday(d) for d in week] == [True] * 5 + [False] * 2
    assert cal.working_days_between(monday - dt.timedelta(days=1), week[-1]) == 5
    start = at("2099-01-09", "17:00")  # Friday
    assert local(cal.add_working_minutes(start, 120)) == at("2099-01-12", "10:00")


def test_extra_holidays_and_workdays_override_the_fallback():
    # given an admin-entered holiday and make-up day in a year the library does not know
    cal = BusinessCalendar(
        "09:00-18:00", tz=SH, extra_holidays=["2099-01-05"], extra_workdays=["2099-01-10"]
    )
    assert not cal.is_workday(dt.date(2099, 1, 5))  # a Monday
    assert cal.is_workday(dt.date(2099, 1, 10))  # a Saturday


@pytest.mark.django_db
def test_default_calendar_reads_extra_days_and_hours_from_the_organisation_settings():
    OrgSettings.objects.create(
        work_start=dt.time(9), work_end=dt.time(18), lunch_start=dt.time(12), lunch_end=dt.time(13)
    )
    CalendarDay.objects.create(day=dt.date(2099, 1, 6), kind=CalendarDay.Kind.HOLIDAY)
    assert not calendar.is_workday(dt.date(2099, 1, 6))
    assert calendar.is_workday(dt.date(2099, 1, 7))
    assert (
        calendar.working_minutes_between(at("2099-01-07", "11:00"), at("2099-01-07", "14:00"))
        == 120
    )


# --- minutes ---------------------------------------------------------------------------


def test_minutes_carry_over_the_night(cal):
    start = at("2026-03-03", "17:30")  # Tuesday
    end = cal.add_working_minutes(start, 60)
    assert local(end) == at("2026-03-04", "09:30")
    assert cal.working_minutes_between(start, end) == 60


def test_minutes_carry_over_the_weekend(cal):
    start = at("2026-03-06", "17:00")  # Friday
    end = cal.add_working_minutes(start, 120)
    assert local(end) == at("2026-03-09", "10:00")  # Monday
    assert cal.working_minutes_between(start, end) == 120


def test_minutes_skip_national_day_and_use_the_make_up_saturday(cal):
    # given 60 minutes left on Wed 09-30, then the holiday week, Thu 10-08 and Fri 10-09
    start = at("2026-09-30", "17:00")
    # when 60 + 540 + 540 + 60 working minutes are added
    end = cal.add_working_minutes(start, 1200)
    # then the timer ends on the make-up Saturday at 10:00
    assert local(end) == at("2026-10-10", "10:00")
    assert cal.working_minutes_between(start, end) == 1200
    assert cal.working_minutes_between(at("2026-10-01", "09:00"), at("2026-10-07", "18:00")) == 0


def test_minutes_use_the_make_up_sunday_before_national_day(cal):
    start = at("2026-09-18", "17:30")  # Friday; Saturday 09-19 rests, Sunday 09-20 works
    assert local(cal.add_working_minutes(start, 60)) == at("2026-09-20", "09:30")


def test_minutes_jump_the_spring_festival(cal):
    start = at("2026-02-14", "17:00")  # the make-up Saturday
    end = cal.add_working_minutes(start, 120)
    assert local(end) == at("2026-02-24", "10:00")
    assert cal.working_minutes_between(start, end) == 120


def test_whole_working_days_end_at_closing_time_of_the_last_day(cal):
    # ten full days from Monday 09:00 end on the second Friday at 18:00 (not Monday 09:00)
    assert local(cal.add_working_minutes(at("2026-03-02", "09:00"), 10 * 540)) == at(
        "2026-03-13", "18:00"
    )
    # five full days from Mon 09-28 skip the holiday week
    assert local(cal.add_working_minutes(at("2026-09-28", "09:00"), 5 * 540)) == at(
        "2026-10-09", "18:00"
    )


def test_start_before_opening_counts_from_opening(cal):
    start = at("2026-03-03", "07:00")
    assert local(cal.add_working_minutes(start, 30)) == at("2026-03-03", "09:30")
    assert cal.working_minutes_between(start, at("2026-03-03", "09:30")) == 30


def test_start_after_closing_counts_from_the_next_opening(cal):
    start = at("2026-03-03", "20:00")
    assert local(cal.add_working_minutes(start, 30)) == at("2026-03-04", "09:30")
    assert cal.working_minutes_between(start, at("2026-03-03", "23:59")) == 0
    assert cal.working_minutes_between(start, at("2026-03-04", "09:30")) == 30


def test_start_on_a_holiday_counts_from_the_next_workday(cal):
    start = at("2026-10-03", "11:00")
    assert local(cal.add_working_minutes(start, 45)) == at("2026-10-08", "09:45")


def test_lunch_break_is_not_working_time(lunch_cal):
    assert lunch_cal.minutes_per_day == 480
    # 30 minutes before lunch + 30 after it
    assert local(lunch_cal.add_working_minutes(at("2026-03-03", "11:30"), 60)) == at(
        "2026-03-03", "13:30"
    )
    assert (
        lunch_cal.working_minutes_between(at("2026-03-03", "11:00"), at("2026-03-03", "14:00"))
        == 120
    )
    # starting during lunch counts from 13:00
    assert local(lunch_cal.add_working_minutes(at("2026-03-03", "12:30"), 10)) == at(
        "2026-03-03", "13:10"
    )
    assert not lunch_cal.is_working_time(at("2026-03-03", "12:30"))
    assert lunch_cal.is_working_time(at("2026-03-03", "13:00"))


def test_lunch_break_calendar_carries_over_the_night(lunch_cal):
    end = lunch_cal.add_working_minutes(at("2026-03-03", "17:30"), 60)
    assert local(end) == at("2026-03-04", "09:30")
    # two full 8-hour days from Monday morning end on Tuesday at closing
    assert local(lunch_cal.add_working_minutes(at("2026-03-02", "09:00"), 960)) == at(
        "2026-03-03", "18:00"
    )


def test_instants_in_other_time_zones_are_counted_in_shanghai_time(cal):
    start = dt.datetime(2026, 3, 3, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai
    end = cal.add_working_minutes(start, 60)
    assert end == dt.datetime(2026, 3, 3, 2, 0, tzinfo=dt.UTC)
    assert end.utcoffset() == dt.timedelta(0)


def test_negative_minutes_are_refused(cal):
    with pytest.raises(ValueError, match="negative"):
        cal.add_working_minutes(at("2026-03-03", "10:00"), -1)


def test_end_before_start_is_zero_minutes(cal):
    assert cal.working_minutes_between(at("2026-03-04", "10:00"), at("2026-03-03", "10:00")) == 0


# --- configuration ---------------------------------------------------------------------


def test_periods_parse_in_order():
    periods = parse_periods(" 09:00-12:00 , 13:00-18:00 ")
    assert [(p.start.hour, p.end.hour) for p in periods] == [(9, 12), (13, 18)]
    assert sum(p.minutes for p in periods) == 480


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("9-18", r"working hours '9-18': expected HH:MM-HH:MM"),
        ("nine to six", r"expected HH:MM-HH:MM"),
        ("09:00-12:00-13:00", r"expected HH:MM-HH:MM"),
        ("18:00-09:00", r"'18:00-09:00': the end must be after the start"),
        ("09:00-09:00", r"the end must be after the start"),
        ("09:00-13:00,12:00-18:00", r"'12:00-18:00' overlaps the previous period"),
        ("", r"at least one period is needed"),
        (" , ", r"at least one period is needed"),
    ],
)
def test_invalid_working_hours_are_refused_with_the_reason(spec, message):
    with pytest.raises(ValueError, match=message):
        BusinessCalendar(spec, tz=SH)


# --- properties ------------------------------------------------------------------------

# Any minute of 2026 (with make-up days and holidays) and of a fallback year.
_instants = st.one_of(
    st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2026, 12, 20)),
    st.datetimes(min_value=dt.datetime(2099, 1, 1), max_value=dt.datetime(2099, 12, 20)),
).map(lambda d: d.replace(second=0, microsecond=0, tzinfo=SH))


@pytest.mark.parametrize("spec", ["09:00-18:00", LUNCH])
@hypothesis_settings(max_examples=150, deadline=None)
@given(start=_instants, minutes=st.integers(min_value=0, max_value=6 * 540))
def test_adding_minutes_then_counting_them_gives_them_back(spec, start, minutes):
    cal = BusinessCalendar(spec, tz=SH)
    end = cal.add_working_minutes(start, minutes)
    assert end >= start
    assert cal.working_minutes_between(start, end) == minutes


@pytest.mark.parametrize("spec", ["09:00-18:00", LUNCH])
@hypothesis_settings(max_examples=100, deadline=None)
@given(start=_instants, minutes=st.integers(min_value=1, max_value=3 * 540))
def test_a_timer_ends_in_working_time_or_exactly_at_a_closing(spec, start, minutes):
    cal = BusinessCalendar(spec, tz=SH)
    end = local(cal.add_working_minutes(start, minutes))
    closings = {p.end for p in cal.periods}
    assert cal.is_working_time(end) or (
        cal.is_workday(end.date()) and end.time().replace(second=0) in closings
    )
    # and it is the earliest such instant: one minute less ends earlier
    assert cal.add_working_minutes(start, minutes - 1) < end


# --- many pairs of days at once (workday_counter) ---------------------------------------


def test_workday_counter_counts_make_up_days_and_skips_holidays(cal):
    count = cal.workday_counter(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    # the same hand-counted pairs as working_days_between above
    assert count(dt.date(2026, 9, 30), dt.date(2026, 10, 10)) == 3
    assert count(dt.date(2026, 2, 13), dt.date(2026, 2, 28)) == 6
    day = dt.date(2026, 3, 3)
    assert count(day, day) == 0
    assert count(day, day - dt.timedelta(days=5)) == 0


def test_workday_counter_outside_its_range_counts_day_by_day(cal):
    count = cal.workday_counter(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    # a pair reaching past either end of the index: still the right answer
    assert count(dt.date(2026, 2, 13), dt.date(2026, 2, 28)) == 6
    assert count(dt.date(2026, 2, 13), dt.date(2026, 3, 10)) == cal.working_days_between(
        dt.date(2026, 2, 13), dt.date(2026, 3, 10)
    )
    assert count(dt.date(2026, 9, 30), dt.date(2026, 10, 10)) == 3


_counter_days = st.one_of(
    st.dates(min_value=dt.date(2025, 11, 1), max_value=dt.date(2027, 2, 28)),
    st.dates(min_value=dt.date(2098, 12, 1), max_value=dt.date(2099, 2, 28)),
)


# holidays and make-up days of 2025–2027 and admin-entered ones of a fallback year
_COUNTER_CAL = BusinessCalendar(
    "09:00-18:00",
    tz=SH,
    extra_holidays=["2099-01-05", "2099-01-06"],
    extra_workdays=["2099-01-10"],
)
_COUNTERS = (
    _COUNTER_CAL.workday_counter(dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
    _COUNTER_CAL.workday_counter(dt.date(2025, 10, 1), dt.date(2027, 3, 31)),
    _COUNTER_CAL.workday_counter(dt.date(2098, 11, 1), dt.date(2099, 3, 31)),
)


@hypothesis_settings(max_examples=300, deadline=None)
@given(start=_counter_days, span=st.integers(min_value=-30, max_value=480))
def test_workday_counter_equals_working_days_between(start, span):
    end = start + dt.timedelta(days=span)
    expected = _COUNTER_CAL.working_days_between(start, end)
    assert [count(start, end) for count in _COUNTERS] == [expected] * 3


@pytest.mark.django_db
def test_module_workday_counter_uses_the_organisation_calendar():
    OrgSettings.objects.create(work_start=dt.time(9), work_end=dt.time(18))
    CalendarDay.objects.create(day=dt.date(2099, 1, 6), kind=CalendarDay.Kind.HOLIDAY)
    count = calendar.workday_counter(dt.date(2099, 1, 1), dt.date(2099, 1, 31))
    # (Sun 01-04, Fri 01-09]: Mon–Fri less the admin's holiday on Tue 01-06
    assert count(dt.date(2099, 1, 4), dt.date(2099, 1, 9)) == 4
    assert count(dt.date(2099, 1, 4), dt.date(2099, 1, 9)) == calendar.working_days_between(
        dt.date(2099, 1, 4), dt.date(2099, 1, 9)
    )
