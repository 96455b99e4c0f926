"""The process-health award (issue 16 item 6, SPEC T5) and the monthly snapshot it reads:
coverage above 2.0 in two consecutive months of the quarter and never below 1.5 → +15 %
of the team's target bonus pool, with the snapshots that earned it."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from salesops.targets import snapshots
from salesops.targets.models import AwardEntitlement, HealthSnapshot, HealthStatus, PlanState

from .factories_health import allocate, make_plan, pay, pipeline

pytestmark = pytest.mark.django_db
TZ = timezone.get_default_timezone()
NOW = timezone.make_aware(dt.datetime(2026, 7, 15, 10, 0), TZ)
D = Decimal
Q3 = [dt.date(2026, 7, 1), dt.date(2026, 8, 1), dt.date(2026, 9, 1)]


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


def team_snapshot(plan, team, month, coverage):
    return HealthSnapshot.objects.create(
        plan=plan,
        version=1,
        month=month,
        team=team,
        target_year=D("1000000.00"),
        target_to_date=D("500000.00"),
        achieved=D("400000.00"),
        qualified_pipeline=D("0.00"),
        gap=D("600000.00"),
        coverage=None if coverage is None else D(coverage),
        completion=D("0.4000"),
        status=HealthStatus.GREEN,
    )


def quarter(plan, team, coverages):
    return [team_snapshot(plan, team, m, c) for m, c in zip(Q3, coverages, strict=True)]


def test_earned_with_two_consecutive_months_above_2(org):
    plan = make_plan(org.company)
    rows = quarter(plan, org.east, ["2.10", "2.30", "1.60"])
    (award,) = snapshots.evaluate_awards(plan, 3)
    assert award.team == org.east and award.quarter == 3 and award.percent == D("15.00")
    assert set(award.snapshots.all()) == set(rows)
    explanation = award.explanation
    assert explanation["earned"] and explanation["longest_run"] == 2
    assert [m["coverage"] for m in explanation["months"]] == ["2.10", "2.30", "1.60"]
    assert explanation["rule"] == {
        "coverage_above": "2.00",
        "consecutive_months": 2,
        "never_below": "1.50",
        "percent": "15.00",
    }
    # idempotent: evaluating again keeps one row
    snapshots.evaluate_awards(plan, 3)
    assert AwardEntitlement.objects.filter(plan=plan).count() == 1


def test_not_earned_after_a_month_below_1_5(org):
    plan = make_plan(org.company)
    quarter(plan, org.east, ["2.10", "2.30", "1.49"])
    assert snapshots.evaluate_awards(plan, 3) == []


def test_not_earned_with_only_one_month_above_2(org):
    plan = make_plan(org.company)
    quarter(plan, org.east, ["2.10", "1.90", "2.50"])  # two months above, not consecutive
    quarter(plan, org.south, ["2.00", "2.01", "1.80"])  # 2.00 is not above 2.00
    assert snapshots.evaluate_awards(plan, 3) == []


def test_target_reached_counts_as_above_and_a_stale_award_goes(org):
    plan = make_plan(org.company)
    rows = quarter(plan, org.south, [None, "2.50", "1.70"])
    (award,) = snapshots.evaluate_awards(plan, 3)
    assert award.explanation["months"][0]["reached"] is True
    # the September snapshot is retaken lower: no longer earned, the entitlement goes
    HealthSnapshot.objects.filter(pk=rows[2].pk).update(coverage=D("1.20"))
    assert snapshots.evaluate_awards(plan, 3) == []
    assert not AwardEntitlement.objects.exists()


def test_the_rule_numbers_are_the_policy(org):
    from salesops.targets.models import TargetPolicy

    policy = TargetPolicy.current()
    policy.award_months = 3
    policy.award_percent = D("10.00")
    policy.save()
    plan = make_plan(org.company)
    quarter(plan, org.east, ["2.10", "2.30", "1.60"])
    quarter(plan, org.south, ["2.10", "2.30", "2.20"])
    (award,) = snapshots.evaluate_awards(plan, 3)
    assert award.team == org.south and award.percent == D("10.00")


def test_bad_quarter_is_refused(org):
    plan = make_plan(org.company)
    with pytest.raises(ValidationError) as excinfo:
        snapshots.evaluate_awards(plan, 5)
    assert "quarter" in excinfo.value.message_dict


def test_take_snapshot_writes_every_team_and_rep_once(org):
    plan = make_plan(org.company)
    allocate(plan, org.rep_a, "1200000.00")
    allocate(plan, org.rep_d, "600000.00")
    pay(org.rep_a, "500000.00", dt.date(2026, 2, 10))
    pipeline(org.rep_a, "1000000.00")
    rows = snapshots.take_snapshot(plan=plan)
    # four teams of the tree and two reps, July
    assert len(rows) == 6 and {r.month for r in rows} == {dt.date(2026, 7, 1)}
    a = next(r for r in rows if r.rep == org.rep_a)
    # gap 700k, pipeline 1.0M → 1.43 red
    assert (a.gap, a.coverage, a.status, a.version) == (
        D("700000.00"),
        D("1.43"),
        HealthStatus.RED,
        1,
    )
    east = next(r for r in rows if r.team == org.east and r.rep is None)
    assert east.coverage == D("1.43") and east.target_to_date == D("700000.00")
    shanghai = next(r for r in rows if r.team == org.shanghai)
    assert shanghai.target_year == D("0.00") and shanghai.coverage is None
    # again, after more pipeline: same rows, new figures; a rep gone from the version goes
    pipeline(org.rep_a, "400000.00")
    plan.allocations.filter(rep=org.rep_d).delete()
    again = snapshots.take_snapshot(plan=plan)
    assert len(again) == 5
    assert {r.pk for r in again} <= {r.pk for r in rows}
    assert next(r for r in again if r.rep == org.rep_a).coverage == D("2.00")


def test_snapshot_refuses_a_draft_plan_and_a_month_outside_the_year(org):
    draft = make_plan(org.company, state=PlanState.DRAFT)
    with pytest.raises(ValidationError):
        snapshots.take_snapshot(plan=draft)
    plan = make_plan(org.south)
    with pytest.raises(ValidationError) as excinfo:
        snapshots.take_snapshot(plan=plan, month=dt.date(2027, 1, 1))
    assert "month" in excinfo.value.message_dict
