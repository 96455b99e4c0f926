"""What makes a deal's healthy-deal check stale, and queuing it for the sweep.

The check (``deal_health``) reads the deal's decision chain, its contract with the
payment plan, payments and implementation milestones, and customer success's activities
on the account. Each write of those through its service emits an event; the handler
gathers the deals (by id, by account, by contact) and marks them stale with one UPDATE
(``pipeline.health.mark_stale``): inside a web request once, when the request ends (a
feed batch of a thousand payments costs one statement), elsewhere at once. The
``reports.deal_health`` sweep rechecks the stale deals within the minute; nothing is
evaluated in the writer's request.
"""

from __future__ import annotations

import logging
import threading

from django.core.signals import request_finished, request_started

from salesops.core import events
from salesops.pipeline import health

log = logging.getLogger(__name__)
_request = threading.local()  # .pending: {"deal": set, "account": set, "contact": set}

# Events about a deal itself (its decision chain, its status: won makes 2–4 applicable).
DEAL_EVENTS = ("deal.created", "deal.updated", "deal.stage_changed")
# Events carrying the account whose deals they concern (contracts — with their plan and
# their link to a deal —, payments, milestones, activities).
ACCOUNT_EVENTS = (
    "contract.created",
    "contract.updated",
    "payment.received",
    "payment.updated",
    "delivery.created",
    "delivery.updated",
    "activity.logged",
)


def _queue(kind: str, ids) -> None:
    ids = {pk for pk in ids if pk is not None}
    if not ids:
        return
    pending = getattr(_request, "pending", None)
    if pending is None:
        health.mark_stale(**{f"{kind}_ids": ids})
    else:
        pending[kind].update(ids)


def on_deal_event(name: str, payload: dict) -> None:
    _queue("deal", [payload.get("id")])


def on_account_event(name: str, payload: dict) -> None:
    _queue("account", [payload.get("account_id")])
    _queue("deal", [payload.get("deal_id")])


def on_account_updated(name: str, payload: dict) -> None:
    """An account's assigned customer-success manager counts for criterion 5."""
    if "success_owner" in (payload.get("changed") or ()):
        _queue("account", [payload.get("id")])


def on_contact_updated(name: str, payload: dict) -> None:
    """A contact's decision role counts for criterion 1 on the deals naming them."""
    if {"decision_role", "account"} & set(payload.get("changed") or ()):
        _queue("contact", [payload.get("id")])


def _request_started(**kwargs) -> None:
    _request.pending = {"deal": set(), "account": set(), "contact": set()}


def _request_finished(**kwargs) -> None:
    pending, _request.pending = getattr(_request, "pending", None), None
    if not pending or not any(pending.values()):
        return
    try:
        health.mark_stale(
            deal_ids=pending["deal"],
            account_ids=pending["account"],
            contact_ids=pending["contact"],
        )
    except Exception:  # noqa: BLE001 - the response is sent; the nightly run catches up
        log.exception("could not queue deals for a healthy-deal recheck")


HANDLERS = (
    *((name, on_deal_event) for name in DEAL_EVENTS),
    *((name, on_account_event) for name in ACCOUNT_EVENTS),
    ("account.updated", on_account_updated),
    ("contact.updated", on_contact_updated),
)


def connect() -> None:
    """Subscribe once (``AppConfig.ready`` may run more than once in tests)."""
    for name, handler in HANDLERS:
        events.unsubscribe(name, handler)
        events.subscribe(name, handler)
    request_started.connect(_request_started, dispatch_uid="reports.health.request_started")
    request_finished.connect(_request_finished, dispatch_uid="reports.health.request_finished")
