"""The one retry sweep of every delivery (notification copies, webhooks), run every
minute by the worker and by ``salesops tick``."""

from salesops.core.sweeps import sweep

from . import sending, tasks

SWEEP_BATCH = 1000  # deliveries picked up per sweep run


@sweep("notifications.retry_deliveries")
def retry_deliveries(now) -> str:
    """Queue every delivery whose (re)try is due: failed ones after their backoff, and
    pending ones whose after-commit task never ran."""
    ids = sending.due(now, SWEEP_BATCH)
    if not ids:
        return ""
    tasks.deliver_after_commit(ids)
    return f"queued {len(ids)} delivery attempt(s)"
