"""Green, amber and red for the two checks of daily use: effective touches per rep per day
(from the activity rollup) and data completeness and active use (from the outcome board's
measures). Default thresholds: touches 8 / 5 per working day, data use 80 / 60 %."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from salesops.activities.models import ActivityRollup
from salesops.core import calendar, clock
from salesops.diagnosis import checks, services
from salesops.diagnosis.checks.activities import _days
from salesops.diagnosis.models import DiagnosisPolicy
from salesops.diagnosis.scope import rep_scope, team_scope
from salesops.leads.models import Lead
from salesops.leads.tests.factories import LeadFactory
from salesops.outcomes.models import SeenDay

pytestmark = pytest.mark.django_db


def result(scope, code):
    return next(r for r in services.evaluate(scope) if r["code"] == code)


def context():
    return checks.Context.from_policy(
        DiagnosisPolicy.current(), now=clock.now(), thresholds=services.thresholds()
    )


@pytest.mark.parametrize(("per_day", "expected"), [(9, "green"), (6, "amber"), (2, "red")])
def test_effective_touches(org, per_day, expected):
    first, last, workdays = _days(context())
    assert workdays > 0
    # rep_a and rep_b (East) touch per_day × working days over the window; rep_c
    # (Shanghai, in East's subtree) as much; rep_d (South) far more, and outside the scope.
    for rep in (org.rep_a, org.rep_b, org.rep_c):
        ActivityRollup.objects.create(
            owner=rep, day=first, hour=10, activities=per_day * workdays, effective=0
        )
        ActivityRollup.objects.create(
            owner=rep, day=last, hour=11, activities=0, effective=per_day * workdays
        )
    ActivityRollup.objects.create(owner=org.rep_d, day=last, hour=9, effective=100 * workdays)
    # A touch before the window does not count.
    ActivityRollup.objects.create(
        owner=org.rep_a, day=first - dt.timedelta(days=1), hour=9, effective=1000
    )
    row = result(team_scope(org.east), "effective_touches")
    assert row["light"] == expected
    assert Decimal(row["value"]) == Decimal(per_day)
    assert Decimal(row["numerator"]) == 3 * per_day * workdays
    assert Decimal(row["denominator"]) == 3 * workdays
    records = checks.get("effective_touches").records(team_scope(org.east), context())
    expected_reps = [] if expected == "green" else ["Rep A", "Rep B", "Rep C"]
    assert [r["rep"] for r in records.rows] == expected_reps


def _working_days_in_window() -> list[dt.date]:
    ctx = context()
    first = timezone.localdate(ctx.window_start)
    today = timezone.localdate(ctx.now)
    days = [first + dt.timedelta(days=n) for n in range((today - first).days + 1)]
    return [day for day in days if calendar.default_calendar().is_workday(day)]


FULL_LEAD = {
    "contact_name": "王经理",
    "phone": "+8613800138000",
    "company": "杭州明远科技有限公司",
    "need": "需要报价",
    "email": "wang@example.com",
    "wechat": "wang_mingyuan",
    "industry": "manufacturing",
    "size_band": "50-199",
    "province": "浙江",
    "city": "杭州",
}


@pytest.mark.parametrize(("share", "expected"), [(100, "green"), (70, "amber"), (30, "red")])
def test_data_use_by_active_use(org, share, expected):
    """Every record filled (completeness 100 %): the lower share is active use, the
    working days rep_a signed in ÷ the window's working days."""
    LeadFactory(owner=org.rep_a, **FULL_LEAD)
    days = _working_days_in_window()
    seen = round(len(days) * share / 100)
    SeenDay.objects.bulk_create([SeenDay(user=org.rep_a, day=day) for day in days[:seen]])
    # A day outside the window and rep_b's days do not count for rep_a.
    SeenDay.objects.create(user=org.rep_a, day=days[0] - dt.timedelta(days=40))
    SeenDay.objects.bulk_create([SeenDay(user=org.rep_b, day=day) for day in days])
    scope = rep_scope(org.rep_a)
    row = result(scope, "data_use")
    active = (Decimal(seen * 100) / len(days)).quantize(Decimal("0.1"))
    assert row["light"] == expected
    assert Decimal(row["value"]) == active
    records = checks.get("data_use").records(scope, context())
    assert [r["pk"] for r in records.rows] == ([] if expected == "green" else [org.rep_a.pk])


@pytest.mark.parametrize(("blank", "expected"), [(0, "green"), (3, "amber"), (7, "red")])
def test_data_use_by_completeness(org, blank, expected):
    """Signed in every working day (active use 100 %): the lower share is completeness,
    of the ten lead fields (four required, six recommended) on one lead."""
    recommended = ["email", "wechat", "industry", "size_band", "province", "city"]
    required = ["need"]
    emptied = (recommended + required)[:blank]
    blank_recommended = dict.fromkeys([f for f in emptied if f in recommended], "")
    lead = LeadFactory(owner=org.rep_a, **{**FULL_LEAD, **blank_recommended})
    # A required field left empty (the intake refuses it: an older or imported record).
    Lead.objects.filter(pk=lead.pk).update(
        **dict.fromkeys([f for f in emptied if f in required], "")
    )
    SeenDay.objects.bulk_create([SeenDay(user=org.rep_a, day=d) for d in _working_days_in_window()])
    row = result(rep_scope(org.rep_a), "data_use")
    assert row["light"] == expected
    assert (Decimal(row["value"]) == 100) == (blank == 0)
