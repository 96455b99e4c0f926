"""Each check green, amber and red on hand-built data; thresholds edited take effect."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from salesops.activities.models import Activity
from salesops.activities.tests.factories import ActivityFactory, ResultTagFactory
from salesops.core import clock
from salesops.diagnosis import checks, services
from salesops.diagnosis.checks.base import light
from salesops.diagnosis.scope import org_scope, rep_scope, team_scope
from salesops.leads.models import Lead, SlaState
from salesops.leads.tests.factories import LeadFactory
from salesops.pipeline.models import Deal
from salesops.pipeline.tests.factories import make_deal

pytestmark = pytest.mark.django_db


def result(scope, code):
    return next(r for r in services.evaluate(scope) if r["code"] == code)


@pytest.mark.parametrize(
    ("value", "higher", "expected"),
    [
        (95, True, "green"),
        (80, True, "amber"),
        (50, True, "red"),
        (5, False, "green"),
        (15, False, "amber"),
        (40, False, "red"),
        (None, True, "none"),
    ],
)
def test_light_turns_round_for_lower_is_better(value, higher, expected):
    green, amber = (90, 75) if higher else (10, 20)
    assert light(value, green, amber, higher) == expected


@pytest.mark.parametrize(
    ("met", "late", "expected"), [(10, 0, "green"), (8, 2, "amber"), (5, 5, "red")]
)
def test_first_response(org, met, late, expected):
    leads = [LeadFactory(owner=org.rep_a) for _ in range(met + late)]
    now = clock.now()
    ids = [lead.pk for lead in leads]
    Lead.objects.filter(pk__in=ids[:met]).update(sla_state=SlaState.MET, assigned_at=now)
    Lead.objects.filter(pk__in=ids[met:]).update(sla_state=SlaState.BREACHED, assigned_at=now)
    row = result(rep_scope(org.rep_a), "first_response")
    assert row["light"] == expected
    assert Decimal(row["value"]) == Decimal(met * 100) / (met + late)
    # the records are the late/breached ones
    records = checks.get("first_response").records(rep_scope(org.rep_a), checks.Context(now=now))
    assert {r.pk for r in records} == set(ids[met:])


@pytest.mark.parametrize(("sleeping", "expected"), [(0, "green"), (2, "amber"), (5, "red")])
def test_sleeping_leads(org, sleeping, expected):
    leads = [LeadFactory(owner=org.rep_b) for _ in range(10)]
    old = clock.now() - dt.timedelta(hours=49)
    Lead.objects.filter(pk__in=[lead.pk for lead in leads[:sleeping]]).update(progressed_at=old)
    Lead.objects.filter(pk__in=[lead.pk for lead in leads[sleeping:]]).update(
        progressed_at=clock.now()
    )
    assert result(rep_scope(org.rep_b), "sleeping_leads")["light"] == expected


@pytest.mark.parametrize(("open_", "expected"), [(0, "green"), (2, "amber"), (4, "red")])
def test_checkin_completion(org, open_, expected):
    tag = ResultTagFactory()
    two_hours_ago = clock.now() - dt.timedelta(hours=2)
    for i in range(10):
        activity = ActivityFactory(owner=org.rep_c, **({} if i < open_ else {"tag": tag}))
        Activity.objects.filter(pk=activity.pk).update(started_at=two_hours_ago)
    # 10 activities: 100 %, 80 %, 60 % finished against healthy 95 / amber 75
    services.policy_save(
        actor=org.admin, data={"checkin_completion_green": "95", "checkin_completion_amber": "75"}
    )
    assert result(rep_scope(org.rep_c), "checkin_completion")["light"] == expected


@pytest.mark.parametrize(("stalled", "expected"), [(0, "green"), (2, "amber"), (5, "red")])
def test_stalled_deals(org, stalled, expected):
    deals = [make_deal(owner=org.rep_d) for _ in range(10)]
    past = clock.now() - dt.timedelta(hours=1)
    future = clock.now() + dt.timedelta(days=3)
    Deal.objects.filter(pk__in=[d.pk for d in deals[:stalled]]).update(stall_due_at=past)
    Deal.objects.filter(pk__in=[d.pk for d in deals[stalled:]]).update(stall_due_at=future)
    assert result(rep_scope(org.rep_d), "stalled_deals")["light"] == expected


def test_threshold_edit_takes_effect(org):
    deals = [make_deal(owner=org.rep_d) for _ in range(10)]
    Deal.objects.filter(pk__in=[d.pk for d in deals[:3]]).update(
        stall_due_at=clock.now() - dt.timedelta(hours=1)
    )
    Deal.objects.filter(pk__in=[d.pk for d in deals[3:]]).update(
        stall_due_at=clock.now() + dt.timedelta(days=1)
    )
    assert result(rep_scope(org.rep_d), "stalled_deals")["light"] == "red"  # 30 % > 25
    services.policy_save(
        actor=org.admin, data={"stalled_deals_green": "30", "stalled_deals_amber": "40"}
    )
    row = result(rep_scope(org.rep_d), "stalled_deals")
    assert row["light"] == "green" and row["green"] == "30.00"


def test_effective_touches_red_without_touches_and_scope_counts_reps(org):
    row = result(team_scope(org.east), "effective_touches")
    assert row["light"] == "red" and row["value"] == "0.0"
    records = checks.get("effective_touches").records(
        team_scope(org.east), checks.Context(now=clock.now(), thresholds=services.thresholds())
    )
    # East's subtree: rep_a, rep_b (East) and rep_c (Shanghai); not rep_d (South)
    assert sorted(r["rep"] for r in records.rows) == ["Rep A", "Rep B", "Rep C"]


def test_data_use_has_no_value_without_records_in_the_window(org):
    row = result(rep_scope(org.rep_a), "data_use")
    assert row["available"] is True and row["value"] is None and row["light"] == "none"


def test_data_use_is_the_lower_of_completeness_and_active_use(org):
    """Read from the outcome board's metrics over the diagnosis window."""
    from salesops.diagnosis.outcomes_link import board_scope
    from salesops.outcomes import metrics
    from salesops.outcomes.models import SeenDay

    LeadFactory(owner=org.rep_a)
    LeadFactory(owner=org.rep_a, email="", address="")
    today = clock.today()
    for n in range(10):
        SeenDay.objects.create(user=org.rep_a, day=today - dt.timedelta(days=n))
    scope = rep_scope(org.rep_a)
    row = result(scope, "data_use")
    start = timezone.localdate(clock.now() - dt.timedelta(days=30))
    end = today + dt.timedelta(days=1)
    filled = metrics.record_completeness(board_scope(scope), start, end).value
    active = metrics.daily_active_users(board_scope(scope), start, end).value
    assert filled is not None and active is not None
    expected = min(Decimal(str(filled)), Decimal(str(active))).quantize(Decimal("0.1"))
    assert Decimal(row["value"]) == expected
    assert row["light"] in {"green", "amber", "red"}


def test_run_keeps_results_and_previous(org):
    first = services.run_now(scope=org_scope())
    second = services.run_now(scope=org_scope())
    from salesops.diagnosis import selectors

    current, previous = selectors.current_and_previous(org_scope())
    assert (current, previous) == (second, first)
    assert len(current.results) == len(checks.CHECKS) == 12


def test_data_use_records_are_the_users_below_the_threshold(org, client):
    from salesops.outcomes.models import SeenDay

    today = clock.today()
    for n in range(31):
        SeenDay.objects.create(user=org.rep_a, day=today - dt.timedelta(days=n))
    LeadFactory(owner=org.rep_a)
    records = checks.get("data_use").records(
        team_scope(org.rep_a.team), checks.Context(now=clock.now())
    )
    by_user = {r["pk"]: r for r in records.rows}
    assert org.rep_b.pk in by_user and by_user[org.rep_b.pk]["active"] == 0
    assert org.rep_a.pk not in by_user or by_user[org.rep_a.pk]["active"] == 100
    client.force_login(org.manager_east)
    page = client.get(f"/diagnosis/data_use/?team={org.rep_a.team.pk}")
    assert page.status_code == 200
    assert org.rep_b.label in page.content.decode()
