"""Outbound webhooks of rules: URL checks, HMAC signing, delivery with retries and a log.

A firing creates a :class:`WebhookDelivery` (the body stored exactly as signed); after the
commit a Huey task makes the first attempt, and the ``automation.webhooks`` sweep retries
on 5xx, 429, timeouts and connection errors with exponential backoff (1, 2, 4 … minutes,
at most an hour) up to ``WEBHOOK_MAX_ATTEMPTS``. Every attempt is logged on the delivery.

The receiver checks ``X-SalesOps-Signature: sha256=<hex HMAC-SHA256 of the raw body>``
with the rule's secret. Targets must be http(s); hosts in private, loopback, link-local
or otherwise not globally routable ranges are refused (when the rule is saved and again
before each attempt, and the attempt connects to the address checked: DNS rebinding)
unless ``SALESOPS["WEBHOOK_ALLOW_PRIVATE"]`` is set. A failed attempt is logged with its
status code, never the receiver's answer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import time

import requests
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesops.core import clock, netsafety
from salesops.core.netsafety import UnsafeURL, check_url

from .models import DeliveryStatus, WebhookDelivery

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-SalesOps-Signature"
RETRY_STATUSES = frozenset({408, 425, 429})
MAX_BACKOFF_SECONDS = 3600


def _conf(key, default):
    return settings.SALESOPS.get(key, default)


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def backoff_seconds(attempts: int) -> int:
    """Wait before the next attempt after ``attempts`` failed ones: 60 s, 120 s, 240 s …"""
    return min(60 * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)


# --- the action ---------------------------------------------------------------------------
def validate_webhook(config: dict, vctx, errors: dict) -> dict:
    url = str(config.get("url") or "").strip()
    try:
        check_url(url)
    except UnsafeURL as exc:
        errors["url"] = str(exc)
    return {"kind": "webhook", "url": url}


def build_payload(ctx) -> dict:
    from .actions import json_safe

    firing = ctx.firing
    return {
        "rule": {"id": ctx.rule.pk, "name": ctx.rule.name, "version": ctx.version.number},
        "firing": {
            "id": getattr(firing, "pk", None),
            "key": getattr(firing, "key", None),
            "fired_at": firing.fired_at.isoformat() if firing is not None else None,
        },
        "entity": ctx.entity.key if ctx.entity is not None else "",
        "object_id": getattr(ctx.instance, "pk", None),
        "record": str(ctx.instance) if ctx.instance is not None else "",
        "link": ctx.link,
        "level": ctx.level,
        "variables": json_safe(ctx.variables),
    }


def run_webhook(config: dict, ctx) -> dict:
    payload = build_payload(ctx)
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True)
    if ctx.dry_run:
        return {
            "url": config["url"],
            "payload": payload,
            "would": _("POST the record as JSON to %(url)s") % {"url": config["url"]},
        }
    delivery = WebhookDelivery.objects.create(
        rule=ctx.rule,
        firing=ctx.firing,
        url=config["url"],
        body=body,
        signature=sign(ctx.rule.webhook_secret, body.encode()),
        next_attempt_at=clock.now(),
    )
    ctx.batch.deliveries.append(delivery.pk)
    return {"url": config["url"], "delivery_id": delivery.pk}


def _register():
    from .actions import register

    register(
        "webhook",
        gettext_lazy("Call a webhook"),
        validate_webhook,
        run_webhook,
        fields=(
            {
                "name": "url",
                "type": "url",
                "required": True,
                "help": gettext_lazy(
                    "Receives a signed JSON POST (X-SalesOps-Signature: sha256=…)."
                ),
            },
        ),
    )


_register()


# --- delivery -----------------------------------------------------------------------------
def enqueue(delivery_ids: list[int]) -> None:
    """First attempt in the background; if the queue is unavailable the sweep sends it."""
    from .tasks import deliver_webhook

    for pk in delivery_ids:
        try:
            deliver_webhook(pk)
        except Exception:  # noqa: BLE001 - the webhook sweep retries what was not sent
            log.exception("could not queue webhook delivery %s", pk)


def _claim(pk: int, now: dt.datetime) -> bool:
    """Take a due delivery for one attempt: push its next attempt beyond the request's
    timeout so another worker does not send it at the same time."""
    lease = now + dt.timedelta(seconds=float(_conf("WEBHOOK_TIMEOUT", 5.0)) + 60)
    return bool(
        WebhookDelivery.objects.filter(
            pk=pk,
            status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING],
            next_attempt_at__lte=now,
        ).update(next_attempt_at=lease)
    )


def attempt(pk: int, now: dt.datetime | None = None) -> WebhookDelivery | None:
    """Make one attempt at a due delivery; None if it is not due (or another worker has
    it). Records the outcome, schedules a retry or gives up."""
    now = now or clock.now()
    if not _claim(pk, now):
        return None
    delivery = WebhookDelivery.objects.select_related("rule").get(pk=pk)
    entry: dict = {"at": now.isoformat(), "attempt": delivery.attempts + 1}
    retry = False
    code = None
    error = ""
    started = time.perf_counter()
    try:
        # Resolved and checked once, sent to that address (DNS rebinding), no redirects.
        response = netsafety.post(
            delivery.url,
            data=delivery.body.encode(),
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "SalesOps-Webhook/1",
                SIGNATURE_HEADER: delivery.signature,
                "X-SalesOps-Delivery": str(delivery.pk),
                "X-SalesOps-Rule": str(delivery.rule_id),
            },
            timeout=float(_conf("WEBHOOK_TIMEOUT", 5.0)),
        )
        code = response.status
        if not 200 <= code < 300:
            # The answer's text is not kept or shown: the URL is the rule author's choice.
            error = _("HTTP %(code)d: the receiver did not accept the delivery.") % {"code": code}
            retry = code >= 500 or code in RETRY_STATUSES
    except UnsafeURL as exc:
        error = str(exc)
    except requests.Timeout:
        error, retry = _("Timed out."), True
    except requests.RequestException as exc:
        error, retry = _("Connection failed: %(reason)s") % {"reason": exc}, True
    entry.update(
        {"status_code": code, "error": error, "ms": round((time.perf_counter() - started) * 1000)}
    )
    delivery.attempts += 1
    delivery.log = [*delivery.log, entry]
    delivery.last_status_code = code
    delivery.last_error = error
    if not error:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    elif retry and delivery.attempts < int(_conf("WEBHOOK_MAX_ATTEMPTS", 5)):
        delivery.status = DeliveryStatus.RETRYING
        delivery.next_attempt_at = now + dt.timedelta(seconds=backoff_seconds(delivery.attempts))
    else:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
    delivery.save(
        update_fields=[
            "attempts",
            "log",
            "last_status_code",
            "last_error",
            "status",
            "delivered_at",
            "next_attempt_at",
        ]
    )
    return delivery


def deliver_due(now: dt.datetime, limit: int = 50) -> dict:
    """Attempt every delivery that is due (the sweep)."""
    due = list(
        WebhookDelivery.objects.filter(
            status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING], next_attempt_at__lte=now
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    counts = {"delivered": 0, "retrying": 0, "failed": 0}
    for pk in due:
        delivery = attempt(pk, now)
        if delivery is not None:
            counts[delivery.status] = counts.get(delivery.status, 0) + 1
    return counts
