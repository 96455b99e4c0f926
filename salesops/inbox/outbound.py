"""Replies go back through the channel the message came from: WeCom's app message API
(access token, then message/send), DingTalk's session webhook the robot gave, email over
SMTP (Django's mail, threaded with In-Reply-To). Every HTTP call goes through
:mod:`salesops.core.netsafety` (public addresses only, pinned, no redirects).
"""

from __future__ import annotations

import hashlib
import json
import smtplib
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.utils.translation import gettext as _

from salesops.core import netsafety

from .models import Message, SourceKind

WECOM_API = "https://qyapi.weixin.qq.com"


# WeCom's access token lives 7,200 s and gettoken is rate-limited: it is kept in the cache
# until shortly before it expires; an answer saying it is invalid or expired drops it and
# the send is tried once more with a new one.
TOKEN_MARGIN = 300
TOKEN_ERRORS = {"40001", "40014", "42001"}


class SendFailed(Exception):
    def __init__(self, message: str, code=None):
        super().__init__(message)
        self.code = code


def _timeout() -> float:
    return float(settings.SALESOPS.get("WEBHOOK_TIMEOUT", 5.0))


def _json_answer(answer: netsafety.Answer) -> dict:
    body = answer.json()
    if answer.status >= 400 or not isinstance(body, dict):
        raise SendFailed(_("The server answered HTTP %(status)s.") % {"status": answer.status})
    if body.get("errcode", 0) not in (0, "0"):
        code = body.get("errcode")
        raise SendFailed(
            _("The server refused the message (error %(code)s).") % {"code": code}, code=code
        )
    return body


def _call(method: str, url: str, payload: dict | None = None) -> dict:
    try:
        if method == "GET":
            answer = netsafety.get(url, headers={}, timeout=_timeout())
        else:
            answer = netsafety.post(
                url,
                data=json.dumps(payload, ensure_ascii=False).encode(),
                headers={"Content-Type": "application/json; charset=utf-8"},
                timeout=_timeout(),
            )
    except netsafety.UnsafeURL as exc:
        raise SendFailed(str(exc)) from None
    except requests.Timeout:
        raise SendFailed(_("Timed out.")) from None
    except requests.RequestException as exc:
        raise SendFailed(_("Connection failed: %(reason)s") % {"reason": exc}) from None
    return _json_answer(answer)


def _wecom_token(base: str, source, *, fresh: bool = False) -> str:
    """The app's access token: from the cache, else from gettoken (kept until
    ``TOKEN_MARGIN`` seconds before WeCom's ``expires_in``)."""
    digest = hashlib.sha256(f"{base}|{source.corp_id}|{source.agent_secret}".encode()).hexdigest()
    key = f"inbox:wecom-token:{digest}"
    token = None if fresh else cache.get(key)
    if token:
        return token
    query = urlencode({"corpid": source.corp_id, "corpsecret": source.agent_secret})
    answer = _call("GET", f"{base}/cgi-bin/gettoken?{query}")
    token = answer.get("access_token")
    if not token:
        raise SendFailed(_("WeCom gave no access token; check the agent secret."))
    try:
        lifetime = int(answer.get("expires_in") or 7200)
    except (TypeError, ValueError):
        lifetime = 7200
    if lifetime > TOKEN_MARGIN:
        cache.set(key, token, lifetime - TOKEN_MARGIN)
    return token


def _wecom(reply: Message, original: Message) -> None:
    source = reply.source
    base = (source.api_base or WECOM_API).rstrip("/")
    payload = {
        "touser": original.sender_address,
        "msgtype": "text",
        "agentid": int(source.agent_id) if source.agent_id.isdigit() else source.agent_id,
        "text": {"content": reply.body},
    }
    token = _wecom_token(base, source)
    try:
        _call("POST", f"{base}/cgi-bin/message/send?{urlencode({'access_token': token})}", payload)
    except SendFailed as exc:
        if str(exc.code) not in TOKEN_ERRORS:
            raise
        token = _wecom_token(base, source, fresh=True)
        _call("POST", f"{base}/cgi-bin/message/send?{urlencode({'access_token': token})}", payload)


def _dingtalk(reply: Message, original: Message) -> None:
    if not original.reply_address:
        raise SendFailed(_("DingTalk gave no session webhook with this message."))
    payload = {"msgtype": "text", "text": {"content": reply.body}}
    _call("POST", original.reply_address, payload)


def _email(reply: Message, original: Message) -> None:
    headers = {}
    if original.reply_address:
        headers = {"In-Reply-To": original.reply_address, "References": original.reply_address}
    mail = EmailMessage(
        subject=reply.subject or _("Re: your message"),
        body=reply.body,
        to=[original.sender_address],
        headers=headers,
    )
    try:
        mail.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        raise SendFailed(f"{type(exc).__name__}: {exc}") from None


SENDERS = {SourceKind.WECOM: _wecom, SourceKind.DINGTALK: _dingtalk, SourceKind.EMAIL: _email}


def send(reply: Message) -> str:
    """Send ``reply``; '' when it went, else the reason (kept on the reply)."""
    original = reply.reply_to
    sender = SENDERS.get(reply.channel)
    if sender is None:
        return _("Messages from the API are answered by the system that sent them.")
    try:
        sender(reply, original)
    except SendFailed as exc:
        return str(exc)
    return ""
