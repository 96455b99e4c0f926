"""Reading an IMAP mailbox: every UNSEEN message is parsed (subject, sender, plain body;
encoded headers in GB2312/GB18030/UTF-8 …), stored through ``services.message_receive``
with its Message-ID as the source id, and only then marked seen — a message that failed
to store stays unseen and is read again on the next poll."""

from __future__ import annotations

import email
import email.policy
import hashlib
import imaplib
import logging
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.utils import parseaddr, parsedate_to_datetime

from django.core.exceptions import ValidationError
from django.utils.html import strip_tags

from salesops.core import clock

from . import services
from .models import InboxSource, SourceKind

log = logging.getLogger(__name__)
TIMEOUT = 30


@dataclass
class PollResult:
    stored: int = 0
    duplicates: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def _header(value) -> str:
    if not value:
        return ""
    try:
        return str(make_header(decode_header(str(value)))).strip()
    except (LookupError, UnicodeDecodeError, ValueError):
        return str(value).strip()


def _decode_part(part) -> str:
    payload = part.get_payload(decode=True) or b""
    charset = part.get_content_charset() or "utf-8"
    if charset.lower() in ("gb2312", "gbk"):
        charset = "gb18030"  # a superset: mail labelled GB2312 often holds GBK characters
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("utf-8", errors="replace")


def plain_body(msg) -> str:
    """The text/plain part (or the HTML one, stripped), attachments skipped."""
    html = ""
    parts = msg.walk() if msg.is_multipart() else [msg]
    for part in parts:
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        kind = part.get_content_type()
        if kind == "text/plain":
            return _decode_part(part).strip()
        if kind == "text/html" and not html:
            html = strip_tags(_decode_part(part))
    return html.strip()


@dataclass
class Parsed:
    message_id: str
    address: str
    name: str
    subject: str
    body: str
    date: object


def parse(raw: bytes) -> Parsed:
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    name, address = parseaddr(_header(msg.get("From")))
    message_id = (msg.get("Message-ID") or "").strip()
    if not message_id:
        message_id = "sha1:" + hashlib.sha1(raw).hexdigest()
    try:
        date = parsedate_to_datetime(msg.get("Date")) if msg.get("Date") else None
        if date is not None and date.tzinfo is None:
            date = None
    except (TypeError, ValueError):
        date = None
    return Parsed(
        message_id[:200],
        address.strip(),
        name.strip(),
        _header(msg.get("Subject")),
        plain_body(msg),
        date,
    )


def _connect(source: InboxSource):
    cls = imaplib.IMAP4_SSL if source.imap_ssl else imaplib.IMAP4
    conn = cls(source.imap_host, source.imap_port, timeout=TIMEOUT)
    conn.login(source.imap_user, source.imap_password)
    return conn


def poll(source: InboxSource) -> PollResult:
    """Read one mailbox's unseen mail now (the worker's periodic task and the "Poll now"
    button)."""
    if source.kind != SourceKind.EMAIL:
        raise ValidationError({"kind": ["not an email source"]})
    result = PollResult()
    try:
        conn = _connect(source)
    except (imaplib.IMAP4.error, OSError) as exc:
        result.errors.append(f"{type(exc).__name__}: {exc}")
        _finish(source, result)
        return result
    try:
        status, _data = conn.select(source.imap_folder or "INBOX")
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot open folder {source.imap_folder}")
        status, data = conn.uid("SEARCH", None, "UNSEEN")
        uids = (data[0] or b"").split() if status == "OK" and data else []
        for uid in uids:
            _one(conn, source, uid, result)
        conn.logout()
    except (imaplib.IMAP4.error, OSError) as exc:
        result.errors.append(f"{type(exc).__name__}: {exc}")
    _finish(source, result)
    return result


def _one(conn, source: InboxSource, uid: bytes, result: PollResult) -> None:
    status, data = conn.uid("FETCH", uid, "(RFC822)")
    raw = next((item[1] for item in data or [] if isinstance(item, tuple)), None)
    if status != "OK" or raw is None:
        result.failed += 1
        return
    parsed = parse(raw)
    try:
        _message, created = services.message_receive(
            source=source,
            source_message_id=parsed.message_id,
            sender_address=parsed.address,
            sender_name=parsed.name[:200],
            subject=parsed.subject[:300],
            body=parsed.body[:20000],
            received_at=parsed.date,
            reply_address=parsed.message_id,
        )
    except ValidationError as exc:
        result.failed += 1
        result.errors.append("; ".join(exc.messages)[:200])
        log.warning("inbox: mail %s from source %s not stored: %s", uid, source.pk, exc.messages)
        return
    conn.uid("STORE", uid, "+FLAGS", "(\\Seen)")
    if created:
        result.stored += 1
    else:
        result.duplicates += 1


def _finish(source: InboxSource, result: PollResult) -> None:
    # Bookkeeping, not a settings change: no history row per poll.
    source.last_polled_at = clock.now()
    source.last_error = "; ".join(result.errors)[:500]
    InboxSource.objects.filter(pk=source.pk).update(
        last_polled_at=source.last_polled_at, last_error=source.last_error
    )


def due_sources():
    now = clock.now()
    for source in InboxSource.objects.filter(kind=SourceKind.EMAIL, is_active=True):
        last = source.last_polled_at
        if last is None or (now - last).total_seconds() >= source.poll_minutes * 60 - 5:
            yield source
