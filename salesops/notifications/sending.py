"""Sending deliveries: one attempt, exponential backoff, and the retry sweep.

Exactly-once-ish without locks: an attempt first *claims* the delivery with a conditional
UPDATE on its attempt counter (``attempts = seen → seen + 1``), so of two workers holding
the same id (the after-commit task and a sweep, or two sweeps) only one sends. A worker
that dies mid-send leaves ``next_attempt_at`` at the lease's end, and the sweep tries
again then.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from salesops.core import clock
from salesops.core.sweeps import sweep

from . import webhooks
from .models import BOT_KINDS, ChannelKind, Delivery, DeliveryStatus
from .webhooks import DeliveryError

log = logging.getLogger(__name__)

IN_FLIGHT = dt.timedelta(minutes=5)  # lease of a queued or running attempt
MAX_BACKOFF = dt.timedelta(hours=6)
TASK_BATCH = 100  # delivery ids per Huey task
SWEEP_BATCH = 1000  # deliveries picked up per sweep run


def max_attempts() -> int:
    return int(settings.SALESOPS.get("NOTIFY_MAX_ATTEMPTS", 5))


def backoff(attempts: int) -> dt.timedelta:
    """Wait before the next try after ``attempts`` failed ones: base, 2×base, 4×base …
    (base ``NOTIFY_RETRY_SECONDS``, default 60 s), at most six hours."""
    base = int(settings.SALESOPS.get("NOTIFY_RETRY_SECONDS", 60))
    return min(dt.timedelta(seconds=base * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def deliver_after_commit(ids: list[int]) -> None:
    """Queue the Huey task(s) for ``ids`` once the current transaction commits."""
    from .tasks import deliver

    def enqueue():
        for start in range(0, len(ids), TASK_BATCH):
            deliver(ids[start : start + TASK_BATCH])

    transaction.on_commit(enqueue)


def send_direct(*, kind: str, config, address: str, title: str, body: str, link: str) -> None:
    """Put one message on the wire; raise :class:`DeliveryError` with the reason."""
    if kind == ChannelKind.EMAIL:
        if not address:
            raise DeliveryError(_("no email address"))
        text = body
        full_link = webhooks.absolute_link(link)
        if full_link:
            text = f"{body}\n\n{full_link}" if body else full_link
        try:
            send_mail(title, text, None, [address], fail_silently=False)
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from None
        return
    if kind in BOT_KINDS:
        if config is None:
            raise DeliveryError(_("the channel configuration was deleted"))
        if not config.active:
            raise DeliveryError(_("the channel “%(name)s” is switched off") % {"name": config.name})
        webhooks.post(kind, config.webhook_url, config.secret, title, body, link)
        return
    raise DeliveryError(_("unknown channel %(kind)r") % {"kind": kind})


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
    n = delivery.notification
    try:
        send_direct(
            kind=delivery.channel,
            config=delivery.config,
            address=delivery.address,
            title=n.title,
            body=n.body,
            link=n.link,
        )
    except DeliveryError as exc:
        return _failed(delivery, str(exc), now)
    except Exception as exc:  # noqa: BLE001 - a bug in one channel must not stop the batch
        log.exception("delivery %s crashed", delivery.pk)
        return _failed(delivery, f"{type(exc).__name__}: {exc}", now)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENT, sent_at=clock.now(), next_attempt_at=None, last_error=""
    )
    return DeliveryStatus.SENT


def _failed(delivery: Delivery, reason: str, now) -> str:
    give_up = delivery.attempts >= max_attempts()
    next_at = None if give_up else now + backoff(delivery.attempts)
    if give_up:
        reason = _("%(reason)s (gave up after %(n)d attempts)") % {
            "reason": reason,
            "n": delivery.attempts,
        }
    log.warning("delivery %s failed (attempt %s): %s", delivery.pk, delivery.attempts, reason)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED, last_error=reason[:2000], next_attempt_at=next_at
    )
    return DeliveryStatus.FAILED


def deliver(ids: list[int]) -> dict:
    """Attempt each delivery once; ``{status: count}``."""
    counts: dict[str, int] = {}
    for pk in ids:
        status = attempt(pk) or "skipped"
        counts[status] = counts.get(status, 0) + 1
    return counts


@sweep("notifications.retry_deliveries")
def retry_deliveries(now) -> str:
    """Queue every delivery whose (re)try is due: failed ones after their backoff, and
    pending ones whose after-commit task never ran."""
    due = list(
        Delivery.objects.filter(next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    if not due:
        return ""
    # Lease them so the next minute's sweep does not queue them again while they wait.
    Delivery.objects.filter(pk__in=due, next_attempt_at__lte=now).update(
        next_attempt_at=now + IN_FLIGHT
    )
    deliver_after_commit(due)
    return f"queued {len(due)} delivery attempt(s)"
