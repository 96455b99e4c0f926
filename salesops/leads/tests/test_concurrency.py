"""Caps and idempotency under concurrent intake (PostgreSQL: real concurrent transactions,
one connection per client thread, real HTTP through Django's test client)."""

import json
import threading
from collections import Counter

import pytest
from django.db import connection, connections
from django.test import Client

from salesops.leads.models import DailyLeadCount, IntakeKey, Lead
from salesops.org.models import Role
from salesops.org.tests.factories import UserFactory, team

from .factories import lead_data, make_channel, make_rule

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL (concurrent writers)"
    ),
]

CLIENTS = 16
LEADS = 2_000
REPS = 10
CAP = 15


def in_parallel(jobs, workers):
    """Run ``jobs`` (callables) on ``workers`` threads; returns their results."""
    results, errors = [], []
    lock = threading.Lock()
    queue = list(jobs)
    barrier = threading.Barrier(workers)

    def work():
        try:
            barrier.wait(timeout=30)
            while True:
                with lock:
                    if not queue:
                        return
                    job = queue.pop()
                outcome = job()
                with lock:
                    results.append(outcome)
        except Exception as exc:  # noqa: BLE001 - re-raised in the test thread below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not errors, errors[:3]
    return results


def poster(channel, body, **headers):
    def post():
        answer = Client().post(
            f"/leads/intake/{channel.token}/",
            json.dumps(body, ensure_ascii=False),
            content_type="application/json",
            headers=headers,
        )
        return answer.status_code, answer.json().get("id")

    return post


def test_16_clients_2000_leads_never_push_a_rep_over_the_cap(transactional_db, org):
    # given a team of 10 reps with a daily cap of 15 and one routing rule to the team
    squad = team("Squad", parent=org.company, manager=org.manager_south)
    reps = [
        UserFactory(username=f"squad{i}", role=Role.REP, team=squad, daily_lead_cap=CAP)
        for i in range(REPS)
    ]
    make_rule(team=squad, strategy="least_loaded")
    channel = make_channel(rate_limit=1_000_000)
    # when 16 clients post 2,000 different leads at once
    jobs = [poster(channel, lead_data(n=100_000 + i)) for i in range(LEADS)]
    results = in_parallel(jobs, CLIENTS)
    # then every request made exactly one lead: 150 assigned, none above 15, the rest pooled
    assert Counter(code for code, _id in results) == {201: LEADS}
    assert Lead.objects.count() == LEADS
    per_rep = Counter(Lead.objects.exclude(owner=None).values_list("owner_id", flat=True))
    assert sum(per_rep.values()) == REPS * CAP == 150
    assert set(per_rep) == {r.pk for r in reps}
    assert max(per_rep.values()) == CAP
    assert Lead.objects.filter(owner=None).count() == LEADS - 150
    assert sorted(DailyLeadCount.objects.values_list("count", flat=True)) == [CAP] * REPS


def test_one_idempotency_key_posted_5_times_at_once_makes_one_lead(transactional_db, org):
    make_rule(team=org.east)
    channel = make_channel()
    body = lead_data(n=424242)
    jobs = [poster(channel, body, **{"Idempotency-Key": "webhook-delivery-1"})] * 5
    results = in_parallel(jobs, 5)
    assert Lead.objects.count() == 1
    assert IntakeKey.objects.count() == 1
    ids = {lead_id for _code, lead_id in results}
    assert ids == {Lead.objects.get().pk}
    # every one gets the first answer (201 with the lead), as the first request did
    assert sorted(code for code, _id in results) == [201, 201, 201, 201, 201]
