"""Who puts a delivery on the wire: a registry of senders, one per delivery kind.

A sender is ``fn(delivery) -> HTTP status or None``; it raises :class:`DeliveryError`
with the reason (and whether a retry can help) when the delivery did not arrive. Built
in: email, the three group bots and ``webhook`` (a signed JSON POST, for rules' webhooks
and later the ERP callbacks). Another app registers its own kind in ``AppConfig.ready``.
Every HTTP call goes through :mod:`salesops.core.netsafety`: globally routable addresses
only, the address checked is the one connected to, no redirects.
"""

from __future__ import annotations

import hashlib
import hmac
import smtplib
from collections.abc import Callable

import requests
from django.conf import settings
from django.core.mail import send_mail
from django.utils.translation import gettext as _

from salesops.core import netsafety

from . import webhooks
from .errors import DeliveryError
from .models import BOT_KINDS, ChannelKind, Delivery, DeliveryKind

Sender = Callable[[Delivery], "int | None"]

SIGNATURE_HEADER = "X-SalesOps-Signature"
# Client errors worth another try: the receiver was busy, not refusing the call.
RETRY_STATUSES = frozenset({408, 425, 429})

_registry: dict[str, Sender] = {}


def register(kind: str, sender: Sender) -> None:
    _registry[kind] = sender


def get(kind: str) -> Sender:
    try:
        return _registry[kind]
    except KeyError:
        raise DeliveryError(_("unknown channel %(kind)r") % {"kind": kind}, retry=False) from None


def timeout() -> float:
    return float(settings.SALESOPS.get("WEBHOOK_TIMEOUT", 5.0))


def sign(secret: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of the raw body>``, the receiver checks it with the secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# --- notification channels ----------------------------------------------------------------
def send_direct(*, kind: str, config, address: str, title: str, body: str, link: str):
    """Put one message on a notification channel; raise :class:`DeliveryError` with the
    reason. Also used by the channel settings' "send a test message"."""
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
        return None
    if kind in BOT_KINDS:
        if config is None:
            raise DeliveryError(_("the channel configuration was deleted"))
        if not config.active:
            raise DeliveryError(_("the channel “%(name)s” is switched off") % {"name": config.name})
        return webhooks.post(kind, config.webhook_url, config.secret, title, body, link)
    raise DeliveryError(_("unknown channel %(kind)r") % {"kind": kind})


def send_notification_copy(delivery: Delivery):
    n = delivery.notification
    if n is None:
        raise DeliveryError(_("the notification was deleted"), retry=False)
    return send_direct(
        kind=delivery.channel,
        config=delivery.config,
        address=delivery.address,
        title=n.title,
        body=n.body,
        link=n.link,
    )


# --- signed HTTP calls ----------------------------------------------------------------------
def send_webhook(delivery: Delivery) -> int:
    """POST the stored body (the same bytes and signature on every attempt). A 5xx, 408,
    425, 429, a timeout or a connection error may be retried; another 4xx or a refused
    address is final. The answer's text is neither kept nor shown: the URL is the rule
    author's choice."""
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "SalesOps-Webhook/1",
        "X-SalesOps-Delivery": str(delivery.pk),
        **{str(k): str(v) for k, v in (delivery.headers or {}).items()},
    }
    if delivery.signature:
        headers[SIGNATURE_HEADER] = delivery.signature
    try:
        response = netsafety.post(
            delivery.url, data=delivery.body.encode(), headers=headers, timeout=timeout()
        )
    except netsafety.UnsafeURL as exc:
        raise DeliveryError(str(exc), retry=False) from None
    except requests.Timeout:
        raise DeliveryError(_("Timed out.")) from None
    except requests.RequestException as exc:
        raise DeliveryError(_("Connection failed: %(reason)s") % {"reason": exc}) from None
    code = response.status
    if not 200 <= code < 300:
        raise DeliveryError(
            _("HTTP %(code)d: the receiver did not accept the delivery.") % {"code": code},
            retry=code >= 500 or code in RETRY_STATUSES,
            status_code=code,
        )
    return code


for _kind in (ChannelKind.EMAIL, *BOT_KINDS):
    register(_kind, send_notification_copy)
register(DeliveryKind.WEBHOOK, send_webhook)
