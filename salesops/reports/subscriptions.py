"""The domain events the read model listens to.

An account's lifetime value is computed from its payments, contracts (with their
instalment plans), renewals, NPS answers and complaints. Every write of those records
through their services emits an event carrying the account; the handler only queues the
account (one upsert, after the writer's commit), and the LTV sweep recomputes the queued
accounts within the minute. Nothing is recomputed in the writer's request.

Inside a web request the accounts are gathered and queued once, when the request ends
(``request_finished``): a feed batch of a thousand payments costs one upsert, not a
thousand write transactions (measured: a write per event cost the feed about a third of
its throughput on SQLite). Outside a request (tasks, commands, tests) the account is
queued at once.

Instalments have no events of their own: they are written with their contract, whose
``contract.updated`` names them in ``changed``. Payments, contracts, NPS answers,
complaints and renewals have no delete service; an account's deletion removes its value
with it (cascade), and the nightly full run catches writes made around the services.
"""

from __future__ import annotations

import logging
import threading

from django.core.signals import request_finished, request_started

from salesops.core import events

from . import ltv

log = logging.getLogger(__name__)
_request = threading.local()  # .pending: account ids gathered in this thread's request

# Created and updated of each record. The transition events (contract.signed,
# renewal.closed, complaint.resolved) always come with one of these for the same write,
# so listening to them too would only queue the account twice.
LTV_EVENTS = (
    "payment.received",  # a new payment (there is no payment.created)
    "payment.updated",
    "contract.created",
    "contract.updated",  # includes changes of the instalment plan
    "renewal.created",
    "renewal.updated",
    "nps.received",
    "nps.updated",
    "complaint.created",
    "complaint.updated",
)


def queue_for_ltv(name: str, payload: dict) -> None:
    """Queue the account the event is about (every LTV event carries ``account_id``):
    at the end of the current request, or at once outside one."""
    account_id = payload.get("account_id")
    if account_id is None:
        raise ValueError(f"{name} carries no account_id; LTV cannot tell whose value changed")
    pending = getattr(_request, "pending", None)
    if pending is None:
        ltv.queue_accounts([account_id])
    else:
        pending.add(account_id)


def _request_started(**kwargs) -> None:
    _request.pending = set()


def _request_finished(**kwargs) -> None:
    pending, _request.pending = getattr(_request, "pending", None), None
    if not pending:
        return
    try:
        ltv.queue_accounts(pending)
    except Exception:  # noqa: BLE001 - the response is sent; the nightly run catches up
        log.exception("could not queue %d account(s) for an LTV recompute", len(pending))


def connect() -> None:
    """Subscribe once (``AppConfig.ready`` may run more than once in tests)."""
    for name in LTV_EVENTS:
        events.unsubscribe(name, queue_for_ltv)
        events.subscribe(name, queue_for_ltv)
    request_started.connect(_request_started, dispatch_uid="reports.ltv.request_started")
    request_finished.connect(_request_finished, dispatch_uid="reports.ltv.request_finished")
