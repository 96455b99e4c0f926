"""Two managers approve the same stage change at the same moment (PostgreSQL: real
concurrent transactions, one connection per client thread, real HTTP through Django's test
client): exactly one approval lands, the other is told it is done."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from salesops.pipeline.models import ChangeDirection, ChangeState, Deal, StageChange

from .api_helpers import (
    API,
    client_for,
    in_proposal,
    post,
    upload,
)

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL (concurrent writers)"
    ),
]

ROUNDS = 5


def at_once(jobs):
    """Run each job on its own thread, released together; returns their results."""
    results, errors = [], []
    lock = threading.Lock()
    barrier = threading.Barrier(len(jobs))

    def work(job):
        try:
            barrier.wait(timeout=30)
            outcome = job()
            with lock:
                results.append(outcome)
        except Exception as exc:  # noqa: BLE001 - re-raised in the test thread below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors[:3]
    return results


def approver(client, change_id):
    def approve():
        response = client.post(
            f"{API}/stage-changes/{change_id}/approve", {}, content_type="application/json"
        )
        return response.status_code, response.json()["code"] if response.status_code != 200 else ""

    return approve


def test_two_managers_approving_at_once_make_one_approval(transactional_db, org, pipeline):
    rep = client_for(org.rep_a)
    clients = [client_for(org.manager_east), client_for(org.director)]
    for _ in range(ROUNDS):
        deal = in_proposal(org.rep_a)
        assert upload(rep, deal.pk).status_code == 201
        response = post(rep, f"/deals/{deal.pk}/stage-changes", {"to_stage": "demo"})
        assert response.status_code == 202, response.content
        change_id = response.json()["id"]
        results = at_once([approver(client, change_id) for client in clients])
        assert Counter(results) == {(200, ""): 1, (409, "already_decided"): 1}
        change = StageChange.objects.get(pk=change_id)
        assert change.state == ChangeState.APPLIED and change.decided_by_id in (
            org.manager_east.pk,
            org.director.pk,
        )
        forward = StageChange.objects.filter(deal=deal, direction=ChangeDirection.FORWARD)
        assert forward.count() == 1
        assert Deal.objects.get(pk=deal.pk).stage.code == "demo"
        assert Deal.history.filter(id=deal.pk, history_change_reason="stage: approved").count() == 1
