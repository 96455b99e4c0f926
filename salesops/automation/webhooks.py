"""The rule action "call a webhook": URL checks, the signed payload, and handing it to the
one delivery mechanism (``salesops.notifications``: status, retries with backoff, the
attempt log, the deliveries page).

A firing queues one webhook delivery (the body stored exactly as signed, the rule and
firing as its source); the first attempt goes out after the commit and the
``notifications.retry_deliveries`` sweep retries 5xx, 408, 425, 429, timeouts and
connection errors with the delivery policy's backoff, up to its maximum attempts.

The receiver checks ``X-SalesOps-Signature: sha256=<hex HMAC-SHA256 of the raw body>``
with the rule's secret. Targets must be http(s); hosts in private, loopback, link-local
or otherwise not globally routable ranges are refused (when the rule is saved and again
before each attempt, and the attempt connects to the address checked: DNS rebinding)
unless ``SALESOPS["WEBHOOK_ALLOW_PRIVATE"]`` is set. A failed attempt is logged with its
status code, never the receiver's answer.
"""

from __future__ import annotations

import json

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesops.core.netsafety import UnsafeURL, check_url
from salesops.notifications import services as notification_services

from .actions import json_safe, register

SOURCE_TYPE = "rule"


def validate_webhook(config: dict, vctx, errors: dict) -> dict:
    url = str(config.get("url") or "").strip()
    try:
        check_url(url)
    except UnsafeURL as exc:
        errors["url"] = str(exc)
    return {"kind": "webhook", "url": url}


def build_payload(ctx) -> dict:
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
    delivery = notification_services.outbound_create(
        url=config["url"],
        body=body,
        secret=ctx.rule.webhook_secret,
        headers={"X-SalesOps-Rule": str(ctx.rule.pk)},
        source_type=SOURCE_TYPE,
        source_id=ctx.rule.pk,
        source_ref=getattr(ctx.firing, "pk", None),
        send=False,  # the batch queues its deliveries together after the commit
    )
    ctx.batch.deliveries.append(delivery.pk)
    return {"url": config["url"], "delivery_id": delivery.pk}


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
            "help": gettext_lazy("Receives a signed JSON POST (X-SalesOps-Signature: sha256=…)."),
        },
    ),
)
