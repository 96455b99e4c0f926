"""SPEC A7: the daily report — written by the rep for today or the previous working day,
prefilled from the day's activities, its figures frozen at submission, read by the rep's
managers and nobody else; bad input refused with messages naming the fields."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from salesops.activities import daily_reports, services
from salesops.activities.models import DAILY_REPORT_TEXT_MAX, DailyReport
from salesops.core import clock

from .conftest import account_for


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(
        dt.datetime.combine(day, dt.time(hour, minute)), timezone.get_default_timezone()
    )


WED = dt.date(2026, 11, 25)
MON = dt.date(2026, 11, 23)
FRI = dt.date(2026, 11, 20)


def call(user, account, at, seconds=60, tag="demo_booked", kind="call"):
    return services.activity_log(
        actor=user,
        kind=kind,
        account=account,
        started_at=at,
        duration_seconds=seconds,
        tag=tag,
    )


def submit(user, **data):
    data.setdefault("done", "打了三个电话")
    data.setdefault("plans", "明天拜访客户")
    return daily_reports.daily_report_submit(actor=user, **data)


def test_a_report_is_prefilled_from_the_days_activities_and_freezes_its_figures(org):
    account = account_for(org.rep_a, name="杭州云帆")
    with clock.frozen(local(WED, 18)):
        call(org.rep_a, account, local(WED, 9))  # effective
        call(org.rep_a, account, local(WED, 10), seconds=5)  # too short
        call(org.rep_a, account, local(WED, 11), kind="visit")
        call(org.rep_a, account, local(MON, 11))  # another day: not counted
        draft = daily_reports.prefill_done(org.rep_a.pk, WED)
        report = submit(org.rep_a, done=draft)
    assert "Call 2" in draft and "Visit 1" in draft and "effective touches: 2" in draft
    assert "杭州云帆 ×3" in draft
    assert report.day == WED and report.owner == org.rep_a
    assert report.snapshot["activities"] == 3
    assert report.snapshot["effective"] == 2
    assert report.snapshot["by_kind"]["call"] == 2
    assert report.snapshot["by_kind"]["visit"] == 1


def test_sending_again_replaces_the_days_report(org):
    with clock.frozen(local(WED, 18)):
        first = submit(org.rep_a, plans="A")
        second = submit(org.rep_a, plans="B", help_needed="需要报价支持")
        changed = daily_reports.daily_report_update(
            actor=org.rep_a, report=second, forecast_changes="ACME: ¥80,000"
        )
    assert first.pk == second.pk == changed.pk
    assert DailyReport.objects.filter(owner=org.rep_a).count() == 1
    stored = DailyReport.objects.get()
    assert (stored.plans, stored.help_needed, stored.forecast_changes) == (
        "B",
        "需要报价支持",
        "ACME: ¥80,000",
    )
    assert stored.history.count() == 3  # every write audited


def test_empty_and_over_long_fields_are_refused_naming_each_field(org):
    with clock.frozen(local(WED, 18)), pytest.raises(ValidationError) as caught:
        daily_reports.daily_report_submit(
            actor=org.rep_a,
            done="  ",
            plans="",
            help_needed="x" * (DAILY_REPORT_TEXT_MAX + 1),
        )
    errors = caught.value.message_dict
    assert set(errors) == {"done", "plans", "help_needed"}
    assert "“What was done” is empty" in errors["done"][0]
    assert "at most 1000 characters (it has 1001)" in errors["help_needed"][0]
    assert not DailyReport.objects.exists()


def test_today_or_the_previous_working_day_only(org):
    monday_evening = local(MON, 9)
    with clock.frozen(monday_evening):
        assert daily_reports.writable_days() == [MON, FRI]  # the weekend is skipped
        assert submit(org.rep_a, day=FRI).day == FRI
        for day in (
            MON - dt.timedelta(days=1),
            MON + dt.timedelta(days=1),
            FRI - dt.timedelta(days=1),
        ):
            with pytest.raises(ValidationError) as caught:
                submit(org.rep_a, day=day)
            assert "today (2026-11-23) or the previous working day (2026-11-20)" in str(
                caught.value.message_dict["day"]
            )
        with pytest.raises(ValidationError) as caught:
            submit(org.rep_a, day="23/11")
        assert caught.value.message_dict["day"] == ["Enter the day as YYYY-MM-DD."]


def test_a_past_report_can_no_longer_be_changed(org):
    with clock.frozen(local(MON, 18)):
        report = submit(org.rep_a)
    with clock.frozen(local(WED, 18)), pytest.raises(ValidationError) as caught:
        daily_reports.daily_report_update(actor=org.rep_a, report=report, plans="later")
    assert "can no longer be changed" in caught.value.message_dict["day"][0]


def test_reports_are_visible_like_activities_and_written_only_by_their_owner(org):
    with clock.frozen(local(WED, 18)):
        report = submit(org.rep_a)
        submit(org.rep_d)
        # another rep neither reads nor writes it
        with pytest.raises(DailyReport.DoesNotExist):
            daily_reports.daily_report_get(user=org.rep_b, pk=report.pk)
        with pytest.raises(PermissionDenied):
            daily_reports.daily_report_update(actor=org.rep_b, report=report, plans="x")
        # the manager of the team reads it but does not write it
        assert daily_reports.daily_report_get(user=org.manager_east, pk=report.pk) == report
        with pytest.raises(PermissionDenied):
            daily_reports.daily_report_update(actor=org.manager_east, report=report, plans="x")
        assert list(daily_reports.visible_reports(org.rep_a)) == [report]
        assert set(daily_reports.visible_reports(org.manager_east)) == {report}
        assert daily_reports.visible_reports(org.manager_south).get().owner == org.rep_d
        assert daily_reports.visible_reports(org.director).count() == 2
        # read-only roles write none
        with pytest.raises(PermissionDenied):
            submit(org.finance)
