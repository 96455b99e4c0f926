"""Huey tasks of the notifications app: sending deliveries outside the request."""

from huey.contrib.djhuey import db_task

from . import sending


@db_task()
def deliver(delivery_ids: list[int]):
    """Attempt each delivery once (queued after commit by ``notify`` and by the retry
    sweep); failures are rescheduled with backoff by ``sending.attempt``."""
    return sending.deliver(delivery_ids)
