"""Exactly once under two workers sweeping at the same instant (PostgreSQL: real
concurrent transactions on two connections)."""

import threading

import pytest
from django.db import connection, connections

from salesops.automation import engine
from salesops.automation import sweeps as automation_sweeps
from salesops.automation.models import RuleFiring
from salesops.core import clock
from salesops.customers.tests.factories import make_account

from .conftest import at, make_rule

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL (concurrent writers)"
    ),
]

ACCOUNTS = 300


def run_concurrently(fn, workers=2):
    barrier = threading.Barrier(workers)
    outcomes, errors = [], []

    def work():
        try:
            barrier.wait(timeout=30)
            outcomes.append(fn())
        except Exception as exc:  # noqa: BLE001 - re-raised in the test thread below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return outcomes


def test_two_concurrent_sweeps_fire_each_action_once(transactional_db, org, sent, monkeypatch):
    # given a timer rule and 300 accounts that fall due at the same instant, swept in small
    # chunks so that the two workers' transactions interleave
    monkeypatch.setattr(engine, "CHUNK_SIZE", 25)
    make_rule(
        org.admin,
        when=at("2026-11-23", "09:00"),
        trigger_type="timer",
        entity="account",
        trigger={"field": "created_at", "minutes": 60},
        actions=[{"kind": "notify", "to": ["owner"], "title": "due: {name}"}],
    )
    with clock.frozen(at("2026-11-23", "10:00")):
        accounts = [make_account(org.rep_a, name=f"并发{n}") for n in range(ACCOUNTS)]
    now = at("2026-11-23", "11:00")

    def sweep():
        with clock.frozen(now):
            return automation_sweeps.run_timers(now)

    # when two workers run the sweep at the same instant
    outcomes = run_concurrently(sweep)
    # then every account fired exactly once, and each notification was sent once
    assert RuleFiring.objects.count() == ACCOUNTS
    assert sorted(RuleFiring.objects.values_list("object_id", flat=True)) == sorted(
        a.pk for a in accounts
    )
    titles = [item["title"] for item in sent]
    assert len(titles) == ACCOUNTS == len(set(titles))
    # both workers read the window; between them they fired each account once
    fired = [int(text.split(" due, ")[1].split(" ")[0]) for text in outcomes]
    assert sum(fired) == ACCOUNTS, outcomes


def test_two_concurrent_event_deliveries_with_one_id_fire_once(transactional_db, org, sent):
    account = make_account(org.rep_a)  # before the rule: its own event fires nothing
    make_rule(
        org.admin,
        trigger_type="event",
        trigger={"event": "account.created"},
        actions=[{"kind": "notify", "to": ["manager"], "title": "new"}],
    )
    payload = {"id": account.pk, "event_id": "same-event"}
    run_concurrently(lambda: engine.process_event("account.created", payload))
    assert RuleFiring.objects.count() == 1
    assert len(sent) == 1
