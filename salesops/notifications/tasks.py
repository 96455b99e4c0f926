"""Huey tasks of the notifications app: sending deliveries outside the request."""

from django.db import transaction
from huey.contrib.djhuey import db_task

from . import sending

TASK_BATCH = 100  # delivery ids per Huey task


@db_task()
def deliver(delivery_ids: list[int]):
    """Attempt each delivery once (queued after commit by ``notify``, by rules' webhooks
    and by the retry sweep); failures are rescheduled with backoff by ``sending.attempt``."""
    return sending.deliver(delivery_ids)


def deliver_after_commit(ids: list[int]) -> None:
    """Queue the Huey task(s) for ``ids`` once the current transaction commits."""
    if not ids:
        return

    def enqueue():
        for start in range(0, len(ids), TASK_BATCH):
            deliver(ids[start : start + TASK_BATCH])

    transaction.on_commit(enqueue)
