import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command

from salesops.core import clock, sweeps
from salesops.core.models import SweepRun


def _session_expiring(at):
    store = SessionStore()
    store.create()
    Session.objects.filter(session_key=store.session_key).update(expire_date=at)
    return store.session_key


@pytest.mark.django_db
def test_tick_runs_every_sweep_as_of_the_given_instant():
    # given one session expiring on 1 Dec and one on 3 Dec (Shanghai time)
    early = _session_expiring(clock.parse_instant("2026-12-01T09:00"))
    late = _session_expiring(clock.parse_instant("2026-12-03T09:00"))
    out = StringIO()
    # when time is moved to 2 Dec
    call_command("tick", "--now", "2026-12-02T10:00", stdout=out)
    # then only the session that had expired by then is gone, and the run is reported
    assert not Session.objects.filter(session_key=early).exists()
    assert Session.objects.filter(session_key=late).exists()
    text = out.getvalue()
    assert "tick at 2026-12-02T02:00:00+00:00" in text
    assert "core.clear_expired_sessions: deleted 1 expired session(s)" in text
    run = SweepRun.objects.get(name="core.clear_expired_sessions")
    assert run.last_run_at == dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_tick_twice_changes_nothing_the_second_time():
    _session_expiring(clock.parse_instant("2026-12-01T09:00"))
    call_command("tick", "--now", "2026-12-02T10:00", stdout=StringIO())
    out = StringIO()
    call_command("tick", "--now", "2026-12-02T10:00", stdout=out)
    assert "deleted 0 expired session(s)" in out.getvalue()


def test_tick_refuses_a_bad_instant():
    with pytest.raises(CommandError, match="not an ISO-8601"):
        call_command("tick", "--now", "next tuesday")


@pytest.mark.django_db
def test_a_failing_sweep_is_reported_and_the_others_still_run():
    seen = []

    @sweeps.sweep("test.broken")
    def broken(now):
        raise RuntimeError("boom")

    @sweeps.sweep("test.fine")
    def fine(now):
        seen.append(now)
        return "ok"

    try:
        results = dict(sweeps.run_all(clock.parse_instant("2026-11-23T10:00")))
    finally:
        sweeps._REGISTRY.pop("test.broken")
        sweeps._REGISTRY.pop("test.fine")
    assert results["test.broken"] == "FAILED: RuntimeError: boom"
    assert results["test.fine"] == "ok"
    assert seen == [clock.parse_instant("2026-11-23T10:00")]


@pytest.mark.django_db
def test_the_periodic_worker_task_runs_hourly_sweeps_on_the_hour_only():
    from salesops.core.tasks import run_sweeps

    with time_machine.travel(dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC), tick=False):
        on_the_hour = dict(run_sweeps.call_local())
    with time_machine.travel(dt.datetime(2026, 11, 23, 2, 7, tzinfo=dt.UTC), tick=False):
        past_the_hour = dict(run_sweeps.call_local())
    assert on_the_hour["core.clear_expired_sessions"] == "deleted 0 expired session(s)"
    assert "core.clear_expired_sessions" not in past_the_hour


def test_clock_frozen_pins_now_only_inside_the_block():
    moment = clock.parse_instant("2030-01-01T09:00")
    with clock.frozen(moment):
        assert clock.now() == moment
        assert clock.localnow().hour == 9
    assert clock.now() != moment
