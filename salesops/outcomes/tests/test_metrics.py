"""Each outcome metric on a hand-built data set (the week of 2026-11-02)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from salesops.aftersales.models import Complaint
from salesops.customers.tests.factories import make_account
from salesops.exchange.models import ImportJob, ImportRow, JobState, RowStatus
from salesops.kpi.models import PointClaim, PointKind
from salesops.leads.models import Lead
from salesops.outcomes import metrics
from salesops.outcomes.metrics import Scope
from salesops.outcomes.models import OutcomePolicy, SeenDay
from salesops.pipeline.models import Deal, DealStatus
from salesops.pipeline.tests.factories import make_deal
from salesops.reports.models import ForecastSnapshot

from .conftest import END, WEEK, at, make_lead, make_touch

pytestmark = pytest.mark.django_db
MON, TUE, WED, THU, FRI, SAT = (WEEK + dt.timedelta(days=i) for i in range(6))


def test_followup_cycle_counts_first_effective_touch_in_working_days(org, channel):
    # Monday 10:00 → Wednesday 10:00: two working days; Tuesday → Friday: three.
    a = make_lead(channel, org.rep_a, at(MON))
    make_touch(org.rep_a, at(WED), lead=a)
    make_touch(org.rep_a, at(THU), lead=a)  # not the first
    b = make_lead(channel, org.rep_b, at(TUE))
    make_touch(org.rep_b, at(TUE, 11), lead=b, effective=False)  # not effective
    make_touch(org.rep_b, at(FRI), lead=b)
    # First touched the week before: not this week's.
    c = make_lead(channel, org.rep_a, at(MON - dt.timedelta(days=7)))
    make_touch(org.rep_a, at(MON - dt.timedelta(days=5)), lead=c)
    make_touch(org.rep_a, at(TUE), lead=c)

    value = metrics.lead_followup_cycle(Scope.org(), WEEK, END)
    assert value.value == 2.5
    assert value.numerator == 2
    assert value.detail["p90"] == 3.0
    assert metrics.lead_followup_cycle(Scope.rep(org.rep_a.pk), WEEK, END).value == 2.0
    assert metrics.lead_followup_cycle(Scope.team(org.east.pk), WEEK, END).value == 2.5
    assert metrics.lead_followup_cycle(Scope.team(org.south.pk), WEEK, END).value is None


def test_first_response_sla_and_untouched_share(org, channel):
    met = make_lead(
        channel, org.rep_a, at(MON), sla_due_at=at(MON, 12), first_contact_at=at(MON, 11)
    )
    late = make_lead(channel, org.rep_a, at(MON), sla_due_at=at(MON, 12), first_contact_at=at(THU))
    make_lead(channel, org.rep_b, at(TUE), sla_due_at=at(TUE, 12))  # breached, never contacted
    make_lead(channel, org.rep_b, at(TUE), sla_due_at=at(TUE) + dt.timedelta(days=60))  # running
    make_lead(channel, org.rep_b, at(MON - dt.timedelta(days=1)), sla_due_at=at(MON))  # last week
    assert met.first_contact_at and late.first_contact_at

    sla = metrics.first_response_sla_rate(Scope.org(), WEEK, END)
    assert (sla.numerator, sla.denominator, sla.value) == (1, 3, 33.33)
    assert metrics.first_response_sla_rate(Scope.rep(org.rep_a.pk), WEEK, END).value == 50.0

    # Untouched after 48 h: the late one (3 days), and both never contacted.
    untouched = metrics.untouched_share(Scope.org(), WEEK, END)
    assert (untouched.numerator, untouched.denominator, untouched.value) == (3, 4, 75.0)
    # The hours are a setting.
    OutcomePolicy.objects.create(untouched_hours=100)
    assert metrics.untouched_share(Scope.org(), WEEK, END).numerator == 2


def test_forecast_accuracy_reuses_the_closed_month(org):
    ForecastSnapshot.objects.create(
        taken_on=dt.date(2026, 10, 1),
        owner=org.rep_a,
        team=org.east,
        period_start=dt.date(2026, 10, 1),
        deals=1,
        amount=Decimal("100000"),
        weighted=Decimal("100000"),
        commit=Decimal("0"),
        best_case=Decimal("0"),
        pipeline=Decimal("100000"),
    )
    deal = make_deal(owner=org.rep_a, amount=Decimal("80000"))
    Deal.objects.filter(pk=deal.pk).update(
        status=DealStatus.WON, closed_at=at(dt.date(2026, 10, 15))
    )

    assert metrics.forecast_month(END) == dt.date(2026, 10, 1)
    value = metrics.forecast_accuracy(Scope.org(), WEEK, END)
    assert value.value == 75.0
    assert (value.numerator, value.denominator) == (80000, 100000)
    assert metrics.forecast_accuracy(Scope.rep(org.rep_b.pk), WEEK, END).value is None


def test_sales_cycle_from_lead_intake_or_deal_creation(org, channel):
    lead = make_lead(channel, org.rep_a, at(MON - dt.timedelta(days=20)))
    with_lead = make_deal(owner=org.rep_a)
    without = make_deal(owner=org.rep_b)
    Deal.objects.filter(pk=with_lead.pk).update(
        lead=lead,
        created_at=at(MON - dt.timedelta(days=5)),
        status=DealStatus.WON,
        closed_at=at(MON),
    )
    Deal.objects.filter(pk=without.pk).update(
        created_at=at(WED - dt.timedelta(days=10)), status=DealStatus.WON, closed_at=at(WED)
    )
    value = metrics.sales_cycle(Scope.org(), WEEK, END)
    assert value.value == 15.0  # median of 20 and 10 days
    assert metrics.sales_cycle(Scope.rep(org.rep_a.pk), WEEK, END).value == 20.0


def test_daily_and_weekly_active_users(org):
    for day in (MON, TUE, SAT):
        SeenDay.objects.create(user=org.rep_a, day=day)
    make_touch(org.rep_b, at(WED), account=make_account(org.rep_b))  # logging counts as use

    rep_a = metrics.daily_active_users(Scope.rep(org.rep_a.pk), WEEK, END)
    assert (rep_a.numerator, rep_a.denominator, rep_a.value) == (
        2,
        5,
        40.0,
    )  # Saturday is no workday
    assert metrics.weekly_active_users(Scope.rep(org.rep_a.pk), WEEK, END).value == 100.0
    east = metrics.weekly_active_users(Scope.team(org.east.pk), WEEK, END)
    # East: manager_east, rep_a, rep_b, cs + Shanghai (manager_sh, rep_c).
    assert (east.numerator, east.denominator) == (2, 6)
    everyone = metrics.daily_active_users(Scope.org(), WEEK, END)
    assert everyone.numerator == 3


def test_completeness_per_entity_and_required_recommended(org, channel):
    OutcomePolicy.objects.create(
        completeness_fields={"lead": {"required": ["company", "need"], "recommended": ["email"]}}
    )
    make_lead(channel, org.rep_a, at(MON), email="")
    make_lead(channel, org.rep_a, at(TUE), email="a@example.com")
    make_lead(channel, org.rep_a, at(MON - dt.timedelta(days=3)), email="")  # last week

    value = metrics.record_completeness(Scope.org(), WEEK, END)
    assert (value.numerator, value.denominator) == (5, 6)
    assert value.value == 83.33
    lead = metrics.completeness("lead", Scope.rep(org.rep_a.pk), WEEK, END)
    assert lead.detail == {"records": 2, "required": 100.0, "recommended": 50.0}


def test_complaints_per_hundred_active_accounts(org):
    busy = make_account(org.rep_a)
    quiet = make_account(org.rep_a)
    make_touch(org.rep_a, at(MON), account=busy)
    make_touch(org.rep_a, at(MON - dt.timedelta(days=40)), account=quiet)
    make_account(org.rep_a)  # no activity: not active
    Complaint.objects.create(account=busy, summary="慢", raised_on=TUE, owner=org.rep_a)
    Complaint.objects.create(
        account=busy, summary="早", raised_on=MON - dt.timedelta(days=2), owner=org.rep_a
    )

    value = metrics.complaint_rate(Scope.org(), WEEK, END)
    assert (value.numerator, value.denominator, value.value) == (1, 2, 50.0)


def test_customer_success_collaboration(org):
    account = make_account(org.rep_a)
    make_touch(org.cs, at(TUE), account=account)
    make_touch(org.cs, at(MON - dt.timedelta(days=1)), account=account)  # last week
    claim = PointClaim.objects.create(
        user=org.rep_b, kind=PointKind.COLLABORATION, points=10, description="x"
    )
    PointClaim.objects.filter(pk=claim.pk).update(created_at=at(WED))

    assert metrics.collaboration_requests(Scope.org(), WEEK, END).value == 2
    rep_a = metrics.collaboration_requests(Scope.rep(org.rep_a.pk), WEEK, END)
    assert rep_a.value == 1
    assert rep_a.detail == {"cs_activities": 1}


def test_excel_versus_system_entry(org, channel):
    job = ImportJob.objects.create(
        entity="lead",
        state=JobState.DONE,
        filename="leads.xlsx",
        created_by=org.admin,
        committed_at=at(TUE),
    )
    for i in range(3):
        lead = make_lead(channel, org.rep_a, at(TUE), created_by=org.admin)
        ImportRow.objects.create(
            job=job, row_no=i + 2, status=RowStatus.CREATE, committed=True, object_id=lead.pk
        )
    make_lead(channel, org.rep_a, at(WED), created_by=org.admin)  # typed on a page
    make_lead(channel, org.rep_a, at(WED), created_by=org.rep_a)

    value = metrics.excel_entry_share(Scope.org(), WEEK, END)
    assert (value.numerator, value.denominator, value.value) == (3, 5, 60.0)
    assert value.detail == {"imported": 3, "entered": 2}
    assert metrics.excel_entry_share(Scope.rep(org.rep_a.pk), WEEK, END).value == 0.0
    assert Lead.objects.count() == 5
