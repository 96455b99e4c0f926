"""Huey tasks of the automation engine, and the event subscriber that queues them.

Event rules run here rather than in the request that emitted the event: the request only
enqueues :func:`run_event_rules` (see :func:`on_event`), so its latency stays the same
however many rules act on the event and whatever their actions cost. Webhook deliveries
go out through the notifications app's delivery mechanism (its task and retry sweep).
"""

import uuid

from huey.contrib.djhuey import db_task

from . import engine


@db_task(retries=3, retry_delay=10)
def run_event_rules(name: str, payload: dict) -> None:
    """Fire the event rules listening to ``name`` for one event (``payload`` carries its
    ``event_id``). Retrying is safe: the firings are unique on the event id, so a retry
    after a commit, or the same event delivered twice, fires nothing more. Returns
    nothing, so the result store keeps nothing per event."""
    engine.process_event(name, payload)


def on_event(name: str, payload: dict) -> None:
    """Subscriber of every domain event, run after the emitter's commit: hand the event to
    the worker if an active rule listens to it, else do nothing.

    Only the cheap part runs in the request that emitted the event: which rules listen
    (:func:`engine.active_event_rules`, one light query answered from the parsed rules)
    and, if any, one enqueued task carrying the event's name and payload. Loading the
    record, evaluating the conditions, inserting the firings and running the actions
    (notifications, tasks, field changes, webhooks) happen in the worker
    (:func:`run_event_rules` → :func:`engine.process_event`), so the request's latency
    does not grow with how many rules act on the event.

    Exactly once survives the queue: the event id is part of the firing key, so a task
    retried or delivered twice inserts the same unique rows and runs nothing the second
    time. An event without an id gets one here, before it is enqueued, for that reason."""
    if not engine.active_event_rules(name):
        return
    if not payload.get("event_id"):
        payload = {**payload, "event_id": uuid.uuid4().hex}
    run_event_rules(name, payload)
