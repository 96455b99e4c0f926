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
from urllib.parse import quote_plus, urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from salesops.core import clock, netsafety


class DeliveryError(Exception):
    """A channel refused or could not take a message; ``str()`` is the reason shown on
    the deliveries page."""


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
        message = answer.get("errmsg", "")
    else:
        code = answer.get("code", answer.get("StatusCode", 0))
        message = answer.get("msg", answer.get("StatusMessage", ""))
    if code not in (0, "0", None):
        return f"{kind} errcode {code}: {message}"
    return None


def post(kind: str, url: str, secret: str, title: str, body: str, link: str) -> None:
    """Send one bot message; raise :class:`DeliveryError` with the reason if it did not
    arrive. The URL is checked again here because a DNS name may now point elsewhere;
    redirects are not followed, so a public URL cannot bounce us to a private one."""
    try:
        check_url(url)
    except ValidationError as exc:
        raise DeliveryError(" ".join(exc.messages)) from None
    target, payload = build_request(kind, url, secret, title, body, link)
    timeout = settings.SALESOPS.get("WEBHOOK_TIMEOUT", 5)
    try:
        response = requests.post(
            target,
            data=json.dumps(payload, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json; charset=utf-8"},
            timeout=timeout,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from None
    if response.status_code != 200:
        raise DeliveryError(f"HTTP {response.status_code}: {response.text[:300]}")
    try:
        answer = response.json()
    except ValueError:
        answer = None
    problem = _bot_error(kind, answer)
    if problem:
        raise DeliveryError(problem)
