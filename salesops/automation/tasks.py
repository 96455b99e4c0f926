"""Huey tasks of the automation engine.

Event rules run here rather than in the request that emitted the event: the request only
enqueues :func:`run_event_rules` (see :func:`engine.on_event`), so its latency stays the
same however many rules act on the event and whatever their actions cost.
"""

from huey.contrib.djhuey import db_task

from . import engine, webhooks


@db_task(retries=3, retry_delay=10)
def run_event_rules(name: str, payload: dict) -> None:
    """Fire the event rules listening to ``name`` for one event (``payload`` carries its
    ``event_id``). Retrying is safe: the firings are unique on the event id, so a retry
    after a commit, or the same event delivered twice, fires nothing more. Returns
    nothing, so the result store keeps nothing per event."""
    engine.process_event(name, payload)


@db_task()
def deliver_webhook(delivery_id: int):
    """First attempt at a webhook delivery, right after the firing committed."""
    delivery = webhooks.attempt(delivery_id)
    return delivery.status if delivery is not None else "not due"
