"""Sending deliveries of every kind: one attempt, the one backoff, the policy in force.

Exactly-once-ish without locks: an attempt first *claims* the delivery with a conditional
UPDATE on its attempt counter (``attempts = seen → seen + 1``), so of two workers holding
the same id (the after-commit task and a sweep, or two sweeps) only one sends. A worker
that dies mid-send leaves ``next_attempt_at`` at the lease's end, and the sweep tries
again then. The sender of the delivery's kind (:mod:`.senders`) puts it on the wire;
every attempt is logged on the delivery.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.db.models import F
from django.utils.translation import gettext as _

from salesops.core import clock

from . import senders
from .errors import DeliveryError
from .models import Delivery, DeliveryPolicy, DeliveryStatus

log = logging.getLogger(__name__)

IN_FLIGHT = dt.timedelta(minutes=5)  # lease of a queued or running attempt
MAX_BACKOFF = dt.timedelta(hours=6)


def policy() -> DeliveryPolicy:
    """The policy in force (the defaults, 5 attempts and 60 s, until an admin saves it)."""
    return DeliveryPolicy.objects.order_by("pk").first() or DeliveryPolicy()


def backoff(attempts: int, current: DeliveryPolicy | None = None) -> dt.timedelta:
    """Wait before the next try after ``attempts`` failed ones: base, 2×base, 4×base …
    (base: the policy's first retry delay), at most six hours."""
    base = (current or policy()).first_retry_seconds
    return min(dt.timedelta(seconds=base * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def attempt(delivery_id: int) -> str:
    """Try one delivery once; returns its new status ("" when another worker had it or
    there was nothing to do)."""
    delivery = (
        Delivery.objects.select_related("notification", "config").filter(pk=delivery_id).first()
    )
    if delivery is None or delivery.status == DeliveryStatus.SENT:
        return ""
    if delivery.next_attempt_at is None:  # given up; only a manual retry reopens it
        return ""
    now = clock.now()
    claimed = (
        Delivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts)
        .exclude(status=DeliveryStatus.SENT)
        .update(attempts=F("attempts") + 1, next_attempt_at=now + IN_FLIGHT)
    )
    if not claimed:
        return ""
    delivery.attempts += 1
    started = time.perf_counter()
    code, error, retry = None, "", True
    try:
        code = senders.get(delivery.channel)(delivery)
    except DeliveryError as exc:
        code, error, retry = exc.status_code, str(exc), exc.retry
    except Exception as exc:  # noqa: BLE001 - a bug in one sender must not stop the batch
        log.exception("delivery %s crashed", delivery.pk)
        error = f"{type(exc).__name__}: {exc}"
    entry = {
        "at": now.isoformat(),
        "attempt": delivery.attempts,
        "status_code": code,
        "error": error,
        "ms": round((time.perf_counter() - started) * 1000),
    }
    changes = {"log": [*delivery.log, entry], "last_status_code": code}
    if not error:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.SENT,
            sent_at=clock.now(),
            next_attempt_at=None,
            last_error="",
            **changes,
        )
        return DeliveryStatus.SENT
    return _failed(delivery, error, now, retry=retry, changes=changes)


def _failed(delivery: Delivery, reason: str, now, *, retry: bool, changes: dict) -> str:
    current = policy()
    exhausted = delivery.attempts >= current.max_attempts
    next_at = None
    if retry and not exhausted:
        next_at = now + backoff(delivery.attempts, current)
    elif retry:
        reason = _("%(reason)s (gave up after %(n)d attempts)") % {
            "reason": reason,
            "n": delivery.attempts,
        }
    log.warning("delivery %s failed (attempt %s): %s", delivery.pk, delivery.attempts, reason)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED, last_error=reason[:2000], next_attempt_at=next_at, **changes
    )
    return DeliveryStatus.FAILED


def deliver(ids: list[int]) -> dict:
    """Attempt each delivery once; ``{status: count}``."""
    counts: dict[str, int] = {}
    for pk in ids:
        status = attempt(pk) or "skipped"
        counts[status] = counts.get(status, 0) + 1
    return counts


def due(now, limit: int) -> list[int]:
    """Deliveries whose (re)try is due, leased so the next sweep does not take them again
    while their task waits in the queue."""
    ids = list(
        Delivery.objects.filter(next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    if ids:
        Delivery.objects.filter(pk__in=ids, next_attempt_at__lte=now).update(
            next_attempt_at=now + IN_FLIGHT
        )
    return ids
