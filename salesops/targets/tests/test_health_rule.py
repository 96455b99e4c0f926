"""The default monthly rule ``targets-health-monthly`` (issue 16 item 5): on the 5th
working day the schedule sweep snapshots every published plan, evaluates the award of a
quarter that just ended and sends the headline to the plans' managers and the directors."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from salesops.automation.triggers import nth_workday
from salesops.core import clock
from salesops.notifications.models import Notification
from salesops.targets import actions, defaults_rules
from salesops.targets.models import AwardEntitlement, HealthSnapshot, PlanState

from .factories_health import allocate, make_plan, pipeline
from .test_award import team_snapshot

pytestmark = pytest.mark.django_db
TZ = timezone.get_default_timezone()


def at(day: dt.date, hhmm: str) -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(f"{day.isoformat()}T{hhmm}"), TZ)


def tick(moment: dt.datetime) -> None:
    call_command("tick", "--now", moment.isoformat(), stdout=StringIO())


@pytest.fixture
def rule(db):
    # after July's 5th working day (7 July), so the first instant it sees is August's
    with clock.frozen(at(dt.date(2026, 7, 10), "08:00")):
        (installed,) = defaults_rules.install_rules("en")
    assert defaults_rules.install_rules("en") == []  # idempotent
    return installed


@pytest.fixture
def plan(org):
    with clock.frozen(at(dt.date(2026, 7, 1), "08:00")):
        plan = make_plan(org.company)
        allocate(plan, org.rep_a, "1200000.00")
        allocate(plan, org.rep_d, "600000.00")
        pipeline(org.rep_a, "600000.00")  # gap 1.2M → 0.50 red
        pipeline(org.rep_d, "1500000.00")  # gap 600k → 2.50 green
    make_plan(org.east, state=PlanState.DRAFT)  # not published: left alone
    return plan


def inbox(user):
    return Notification.objects.filter(recipient=user, kind=actions.NOTIFICATION_KIND)


def test_the_rule_is_active_on_the_5th_working_day(rule):
    version = rule.current_version
    assert rule.is_active and rule.code == "targets-health-monthly"
    assert version.trigger["every"] == "monthly_workday" and version.trigger["workday"] == 5


def test_the_sweep_on_the_5th_working_day_snapshots_and_notifies(org, rule, plan):
    fifth = nth_workday(2026, 8, 5)
    assert fifth == dt.date(2026, 8, 7)
    tick(at(fifth - dt.timedelta(days=1), "09:00"))
    assert not HealthSnapshot.objects.exists()
    tick(at(fifth, "09:00"))
    rows = HealthSnapshot.objects.filter(plan=plan, month=dt.date(2026, 8, 1))
    assert (
        rows.filter(rep__isnull=True).count() == 4 and rows.filter(rep__isnull=False).count() == 2
    )
    assert rows.get(rep=org.rep_a).coverage == Decimal("0.50")
    for user in (org.director, org.manager_east, org.manager_sh, org.manager_south):
        (message,) = inbox(user)
        assert "red" in message.title and "2026-08" in message.title
        assert message.link == f"/targets/plans/{plan.pk}/health/"
    # company (600k + 1.5M over 1.2M = 1.75) and East (0.50) are red
    assert "2 red of 4 teams" in inbox(org.director).get().title
    assert not inbox(org.rep_a).exists()
    # again the same morning: nothing new
    tick(at(fifth, "09:30"))
    assert inbox(org.director).count() == 1


def test_the_first_month_of_a_quarter_evaluates_the_last(org, rule, plan):
    for month, coverage in ((7, "2.20"), (8, "2.40"), (9, "1.90")):
        team_snapshot(plan, org.south, dt.date(2026, month, 1), coverage)
    fifth = nth_workday(2026, 10, 5)
    tick(at(fifth, "09:00"))
    (award,) = AwardEntitlement.objects.filter(plan=plan)
    assert award.team == org.south and award.quarter == 3
    body = inbox(org.director).get().body
    assert "Q3" in body and "South" in body
