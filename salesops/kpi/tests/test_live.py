"""Live scores: a new activity marks its owner dirty; the sweep refreshes them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from salesops.activities.models import Activity
from salesops.activities.tests.factories import ActivityFactory
from salesops.core import sweeps, unitofwork
from salesops.customers.models import Account
from salesops.kpi import live, runs
from salesops.kpi.models import DirtyRep, MetricValue, RepScore, RunState, ScoreRun
from salesops.kpi.tests import factories as world
from salesops.kpi.tests.factories import make_scheme
from salesops.pipeline.models import Deal
from salesops.revenue.tests.factories import make_payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    with time_machine.travel(world.NOW, tick=False):
        yield world.build_month()


def touches(run, user):
    return MetricValue.objects.get(
        run=run, user=user, item__metric__code="effective_touches"
    ).actual


def test_new_activity_refreshed_through_signal_and_sweep(w):
    scheme = make_scheme(team=w.group)
    run = runs.run_period(scheme, world.START, world.END)
    DirtyRep.objects.all().delete()
    assert touches(run, w.b) == 1
    tag = Activity.objects.filter(owner=w.b).first().tag
    ActivityFactory(owner=w.b, started_at=world.at(20), tag=tag, duration_seconds=900)
    assert list(DirtyRep.objects.values_list("user_id", flat=True)) == [w.b.pk]
    summary = live.live_scores(world.NOW)
    assert "1 reps refreshed" in summary
    assert touches(run, w.b) == 2
    assert not DirtyRep.objects.exists()
    assert RepScore.objects.filter(run=run).count() == 2


def test_sweep_is_registered_and_runs_from_the_registry(w):
    assert live.SWEEP_NAME in {s.name for s in sweeps.registered()}
    make_scheme(team=w.group)
    results = dict(sweeps.run_all(world.NOW))
    # the month's live run is created when missing
    assert "live runs created" in results[live.SWEEP_NAME]
    assert ScoreRun.objects.filter(state=RunState.LIVE, period_start=world.START).exists()


def test_related_owner_paths_and_bulk_inserts_mark_the_owner(w):
    DirtyRep.objects.all().delete()
    contract = w.x.contracts.first()
    make_payment(contract, "100.00", received_on=dt.date(2026, 3, 21))
    assert set(DirtyRep.objects.values_list("user_id", flat=True)) == {w.a.pk}
    DirtyRep.objects.all().delete()
    activity = Activity(owner=w.b, kind="call", account=None, started_at=world.at(21))
    unitofwork.insert_now(activity, w.b, "test")
    assert set(DirtyRep.objects.values_list("user_id", flat=True)) == {w.b.pk}


def test_marking_again_is_one_row(w):
    live.mark([w.a.pk, w.a.pk, None])
    live.mark([w.a.pk])
    assert DirtyRep.objects.filter(user=w.a).count() == 1


def test_refresh_users_creates_the_missing_run(w):
    scheme = make_scheme(team=w.group)
    assert runs.refresh_users([w.a.pk], world.NOW.date()) == 1
    run = ScoreRun.objects.get(scheme=scheme)
    assert run.state == RunState.LIVE
    assert RepScore.objects.get(run=run, user=w.a).score > Decimal(0)


def test_finished_month_is_finalised_by_the_sweep(w):
    scheme = make_scheme(team=w.group)
    run = runs.run_period(scheme, world.START, world.END)
    with time_machine.travel(dt.datetime(2026, 4, 1, 9, 0, tzinfo=world.NOW.tzinfo), tick=False):
        live.live_scores(None)
    run.refresh_from_db()
    assert run.state == RunState.FINAL
    assert ScoreRun.objects.filter(scheme=scheme, period_start=dt.date(2026, 4, 1)).exists()


def test_a_row_or_an_account_moved_to_another_owner_marks_both_owners(w):
    deal = Deal.objects.filter(owner=w.a).first()
    DirtyRep.objects.all().delete()
    deal.owner = w.b
    deal.save()
    assert set(DirtyRep.objects.values_list("user_id", flat=True)) == {w.a.pk, w.b.pk}

    account = Account.objects.filter(owner=w.a).first()  # its NPS answers move with it
    DirtyRep.objects.all().delete()
    account.owner = w.b
    account.save()
    assert set(DirtyRep.objects.values_list("user_id", flat=True)) == {w.a.pk, w.b.pk}
    DirtyRep.objects.all().delete()
    account.save()  # saved again without a change of owner: nothing to refresh
    assert not DirtyRep.objects.exists()
