"""Huey tasks of the automation engine."""

from huey.contrib.djhuey import db_task

from . import webhooks


@db_task()
def deliver_webhook(delivery_id: int):
    """First attempt at a webhook delivery, right after the firing committed."""
    delivery = webhooks.attempt(delivery_id)
    return delivery.status if delivery is not None else "not due"
