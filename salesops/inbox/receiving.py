"""The WeCom and DingTalk callbacks: check the signature, the timestamp and the nonce
(replays are refused), decrypt, and hand the message to ``services.message_receive``.

A refused callback raises :class:`crypto.CallbackRefused` with a short reason; the view
answers 403 with it and nothing is written (the nonce is stored in the same transaction
as the message)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import xml.etree.ElementTree as ET

from django.db import IntegrityError, transaction

from salesops.core import clock

from . import crypto, services
from .crypto import CallbackRefused
from .models import InboxSource, SeenNonce, SourceKind

log = logging.getLogger(__name__)

DINGTALK_MAX_SKEW = 3600  # DingTalk's own rule: a timestamp more than an hour off is refused
MAX_BODY = 256 * 1024


def _window(source: InboxSource) -> int:
    window = source.replay_window_seconds or 300
    if source.kind == SourceKind.DINGTALK:
        window = min(window, DINGTALK_MAX_SKEW)
    return window


def check_fresh(source: InboxSource, timestamp: str, *, millis: bool = False) -> dt.datetime:
    try:
        value = int(timestamp)
    except (TypeError, ValueError):
        raise CallbackRefused("bad timestamp") from None
    try:
        when = dt.datetime.fromtimestamp(value / 1000 if millis else value, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        raise CallbackRefused("bad timestamp") from None
    if abs((clock.now() - when).total_seconds()) > _window(source):
        raise CallbackRefused("timestamp too old")
    return when


def remember_nonce(source: InboxSource, nonce: str) -> None:
    """Store the nonce for the window; seen before → a replay. Old nonces are dropped."""
    nonce = (nonce or "").strip()
    if not nonce or len(nonce) > 100:
        raise CallbackRefused("bad nonce")
    now = clock.now()
    SeenNonce.objects.filter(
        source=source, seen_at__lt=now - dt.timedelta(seconds=_window(source))
    ).delete()
    try:
        with transaction.atomic():
            SeenNonce.objects.create(source=source, nonce=nonce, seen_at=now)
    except IntegrityError:
        raise CallbackRefused("nonce already used") from None


def parse_xml(data: bytes) -> dict[str, str]:
    """The child elements of a flat WeCom XML document; documents with a DTD (entities)
    are refused outright."""
    if len(data) > MAX_BODY:
        raise CallbackRefused("too large")
    lowered = data[:2000].lower()
    if b"<!doctype" in lowered or b"<!entity" in lowered:
        raise CallbackRefused("bad xml")
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        raise CallbackRefused("bad xml") from None
    return {child.tag: (child.text or "") for child in root}


def _source(source: InboxSource, kind: str) -> InboxSource:
    if source is None or source.kind != kind or not source.is_active:
        raise CallbackRefused("unknown source")
    return source


def wecom_verify(source: InboxSource, params) -> str:
    """The URL check WeCom makes when the callback is saved: answer the decrypted echostr."""
    source = _source(source, SourceKind.WECOM)
    timestamp, nonce = params.get("timestamp", ""), params.get("nonce", "")
    echostr = params.get("echostr", "")
    crypto.wecom_check_signature(
        source.token, timestamp, nonce, echostr, params.get("msg_signature", "")
    )
    check_fresh(source, timestamp)
    with transaction.atomic():
        remember_nonce(source, nonce)
        return crypto.wecom_decrypt(source.aes_key, echostr, source.corp_id).decode()


@transaction.atomic
def wecom_receive(source: InboxSource, params, body: bytes):
    source = _source(source, SourceKind.WECOM)
    outer = parse_xml(body)
    encrypt = outer.get("Encrypt", "")
    timestamp, nonce = params.get("timestamp", ""), params.get("nonce", "")
    crypto.wecom_check_signature(
        source.token, timestamp, nonce, encrypt, params.get("msg_signature", "")
    )
    check_fresh(source, timestamp)
    remember_nonce(source, nonce)
    inner = parse_xml(crypto.wecom_decrypt(source.aes_key, encrypt, source.corp_id))
    sender = inner.get("FromUserName") or inner.get("ExternalUserID", "")
    msg_id = inner.get("MsgId") or f"{sender}:{inner.get('CreateTime', timestamp)}"
    received = None
    if inner.get("CreateTime", "").isdigit():
        received = dt.datetime.fromtimestamp(int(inner["CreateTime"]), tz=dt.UTC)
    content = inner.get("Content", "")
    if inner.get("MsgType", "text") != "text" and not content:
        content = f"[{inner.get('MsgType')}]"
    return services.message_receive(
        source=source,
        source_message_id=msg_id,
        sender_address=sender,
        sender_name=inner.get("FromUserName", ""),
        body=content,
        received_at=received,
        reply_address=sender,
    )


@transaction.atomic
def dingtalk_receive(source: InboxSource, headers, body: bytes):
    """DingTalk signs ``timestamp`` (ms) with the app secret; the signature is used as the
    nonce: the same signed request twice is a replay."""
    source = _source(source, SourceKind.DINGTALK)
    timestamp, sign = headers.get("timestamp", ""), headers.get("sign", "")
    crypto.dingtalk_check_signature(source.app_secret, timestamp, sign)
    check_fresh(source, timestamp, millis=True)
    remember_nonce(source, sign)
    if len(body) > MAX_BODY:
        raise CallbackRefused("too large")
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise CallbackRefused("bad json") from None
    if not isinstance(payload, dict):
        raise CallbackRefused("bad json")
    text = payload.get("text") if isinstance(payload.get("text"), dict) else {}
    sender = str(payload.get("senderStaffId") or payload.get("senderId") or "")
    received = None
    if str(payload.get("createAt", "")).isdigit():
        received = dt.datetime.fromtimestamp(int(payload["createAt"]) / 1000, tz=dt.UTC)
    return services.message_receive(
        source=source,
        source_message_id=str(payload.get("msgId") or f"{sender}:{timestamp}"),
        sender_address=sender,
        sender_name=str(payload.get("senderNick") or ""),
        body=str(text.get("content") or "").strip(),
        received_at=received,
        reply_address=str(payload.get("sessionWebhook") or ""),
    )
