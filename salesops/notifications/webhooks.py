"""Group bots in their real wire formats, and the outbound-URL safety check.

* WeCom (企业微信) group bot: ``{"msgtype": "markdown", "markdown": {"content": …}}``.
* DingTalk (钉钉) custom robot: ``{"msgtype": "markdown", "markdown": {"title", "text"}}``;
  with signing on, ``timestamp`` (ms) and ``sign`` =
  urlencode(base64(HMAC-SHA256(secret, "{timestamp}\\n{secret}"))) go in the query.
* Feishu (飞书) custom bot: ``{"msg_type": "text", "content": {"text": …}}``; with signing
  on, ``timestamp`` (s) and ``sign`` = base64(HMAC-SHA256(key="{timestamp}\\n{secret}",
  msg="")) go in the body.

All three answer HTTP 200 even when they refuse a message; the refusal is an error code
in the JSON body (``errcode`` for WeCom/DingTalk, ``code`` for Feishu), which we report
as a failure with the bot's own message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from urllib.parse import quote_plus, urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from salesops.core import clock, netsafety

from .errors import DeliveryError

__all__ = ["DeliveryError", "absolute_link", "build_request", "check_url", "post"]


# --- URL safety ---------------------------------------------------------------------------


def check_url(url: str, *, field: str = "webhook_url") -> None:
    """Refuse a bot URL that is not http(s) or points at a private or loopback address
    (:mod:`salesops.core.netsafety`), as a ValidationError on ``field``. A host name that
    does not resolve passes here; it fails, visibly, when sending."""
    try:
        netsafety.check_url(url)
    except netsafety.UnsafeURL as exc:
        raise ValidationError({field: str(exc)}) from None


# --- message formats ------------------------------------------------------------------------


def absolute_link(link: str) -> str:
    """Bots and email need a full URL; ``SALESOPS["SITE_URL"]`` says where we live."""
    if not link or "://" in link:
        return link
    base = settings.SALESOPS.get("SITE_URL", "").rstrip("/")
    return f"{base}{link}" if base else link


def wecom_payload(title: str, body: str, link: str) -> dict:
    lines = [f"**{title}**"]
    if body:
        lines.append(body)
    if link:
        lines.append(f"[{_('Open in SalesOps')}]({link})")
    return {"msgtype": "markdown", "markdown": {"content": "\n".join(lines)}}


def dingtalk_payload(title: str, body: str, link: str) -> dict:
    # DingTalk shows ``title`` in the chat list and renders ``text`` as markdown.
    parts = [f"#### {title}"]
    if body:
        parts.append(body)
    if link:
        parts.append(f"[{_('Open in SalesOps')}]({link})")
    return {"msgtype": "markdown", "markdown": {"title": title, "text": "\n\n".join(parts)}}


def feishu_payload(title: str, body: str, link: str) -> dict:
    text = "\n".join(p for p in (title, body, link) if p)
    return {"msg_type": "text", "content": {"text": text}}


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature, already URL-encoded for the query string."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's signature: the key is "timestamp\\nsecret", the message is empty."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def build_request(kind: str, url: str, secret: str, title: str, body: str, link: str):
    """``(url, payload)`` for one bot message."""
    link = absolute_link(link)
    if kind == "wecom":
        return url, wecom_payload(title, body, link)
    if kind == "dingtalk":
        payload = dingtalk_payload(title, body, link)
        if secret:
            timestamp = int(clock.now().timestamp() * 1000)
            glue = "&" if urlsplit(url).query else "?"
            url = f"{url}{glue}timestamp={timestamp}&sign={dingtalk_sign(secret, timestamp)}"
        return url, payload
    if kind == "feishu":
        payload = feishu_payload(title, body, link)
        if secret:
            timestamp = int(clock.now().timestamp())
            payload = {
                "timestamp": str(timestamp),
                "sign": feishu_sign(secret, timestamp),
                **payload,
            }
        return url, payload
    raise DeliveryError(f"unknown bot kind {kind!r}")


def _bot_error(kind: str, answer) -> str | None:
    if not isinstance(answer, dict):
        return None
    if kind in ("wecom", "dingtalk"):
        code = answer.get("errcode", 0)
    else:
        code = answer.get("code", answer.get("StatusCode", 0))
    if code not in (0, "0", None):
        # The bot's own text is not repeated (see :func:`post`); its numeric code is, as
        # the bot's documentation lists them.
        shown = str(code) if re.fullmatch(r"-?\d{1,12}", str(code)) else "?"
        reason = _known_reason(kind, shown)
        if reason:
            return _("%(kind)s error code %(code)s: %(reason)s") % {
                "kind": kind,
                "code": shown,
                "reason": reason,
            }
        return _("%(kind)s refused the message (error code %(code)s).") % {
            "kind": kind,
            "code": shown,
        }
    return None


def _known_reason(kind: str, code: str) -> str:
    """Our own words for the error codes the bots' documentation lists most often."""
    reasons = {
        ("wecom", "93000"): _("the webhook key is invalid or the bot was removed"),
        ("wecom", "45009"): _("too many messages; the bot is rate-limited"),
        ("dingtalk", "310000"): _(
            "the robot's security settings refused it (signature, keyword or IP address)"
        ),
        ("dingtalk", "300001"): _("the access token is invalid"),
        ("dingtalk", "130101"): _("too many messages; the bot is rate-limited"),
        ("feishu", "19021"): _("the signature check failed; check the secret"),
        ("feishu", "19024"): _("the message lacks the bot's keyword"),
        ("feishu", "19022"): _("the server's IP address is not allowed by the bot"),
        ("feishu", "9499"): _("the bot refused the request as malformed"),
    }
    return str(reasons.get((kind, code), ""))


def post(kind: str, url: str, secret: str, title: str, body: str, link: str) -> int:
    """Send one bot message; raise :class:`DeliveryError` with the reason if it did not
    arrive. The URL is checked again here because a DNS name may now point elsewhere, and
    the message goes to the address that was checked (:func:`netsafety.post`); redirects
    are not followed, so a public URL cannot bounce us to a private one. The reason names
    the status code (and the bot's numeric error code), never the answer's text: whatever
    a URL answers is not shown to the admin. Returns the HTTP status."""
    try:
        target = netsafety.resolve(url)
    except netsafety.UnsafeURL as exc:
        raise DeliveryError(str(exc)) from None
    target_url, payload = build_request(kind, url, secret, title, body, link)
    if target_url != url:  # DingTalk's signature in the query: same host, checked above
        target = netsafety.Target(
            target_url, target.scheme, target.host, target.port, target.addresses
        )
    timeout = settings.SALESOPS.get("WEBHOOK_TIMEOUT", 5)
    try:
        answer = netsafety.post(
            target,
            data=json.dumps(payload, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json; charset=utf-8"},
            timeout=timeout,
        )
    except requests.RequestException as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from None
    if answer.status != 200:
        raise DeliveryError(
            _("HTTP %(code)d: the bot did not take the message.") % {"code": answer.status},
            status_code=answer.status,
        )
    problem = _bot_error(kind, answer.json())
    if problem:
        raise DeliveryError(problem, status_code=answer.status)
    return answer.status
