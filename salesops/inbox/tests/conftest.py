"""Fixtures of the inbox tests: configured sources, a WeCom sender written from the
documented protocol (the encrypt side), a local fake HTTP server standing in for the WeCom
API and DingTalk's session webhook, and a small in-process IMAP server."""

from __future__ import annotations

import datetime as dt
import json
import socketserver
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from salesops.inbox import configuration, crypto
from salesops.inbox.models import SourceKind

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
CORP_ID = "ww_test_corp"
TOKEN = "test_token_123"
DING_SECRET = "ding-app-secret-xyz"


@pytest.fixture(autouse=True)
def _no_cached_wecom_token():
    """WeCom's access token is cached (outbound._wecom_token); each test asks its own fake
    server for one. Tests run on the per-process memory cache, so this clears only ours."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def wecom_source(org):
    return configuration.source_save(
        actor=org.admin,
        kind=SourceKind.WECOM,
        name="WeCom app",
        corp_id=CORP_ID,
        token=TOKEN,
        aes_key=AES_KEY,
        agent_id="1000002",
        agent_secret="agent-secret-abc",
    )


@pytest.fixture
def dingtalk_source(org):
    return configuration.source_save(
        actor=org.admin,
        kind=SourceKind.DINGTALK,
        name="DingTalk robot",
        app_secret=DING_SECRET,
        replay_window_seconds=3600,
    )


@pytest.fixture
def api_source(org):
    return configuration.source_save(actor=org.admin, kind=SourceKind.API, name="ERP feed")


def wecom_params(source, encrypt: str, *, timestamp=None, nonce=None, token=TOKEN) -> dict:
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or f"n{time.perf_counter_ns()}"
    return {
        "msg_signature": crypto.wecom_signature(token, timestamp, nonce, encrypt),
        "timestamp": timestamp,
        "nonce": nonce,
    }


def wecom_inner(sender: str, content: str, msg_id: str, create_time: int | None = None) -> bytes:
    create_time = create_time or int(time.time())
    return (
        f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName>"
        f"<FromUserName><![CDATA[{sender}]]></FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId>"
        f"<AgentID>1000002</AgentID></xml>"
    ).encode()


def wecom_post(client, source, inner: bytes, *, corp_id=CORP_ID, aes_key=AES_KEY, **kw):
    """POST an encrypted message to the callback as WeCom would."""
    encrypt = crypto.wecom_encrypt(aes_key, inner, corp_id)
    params = wecom_params(source, encrypt, **kw)
    body = (
        f"<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName>"
        f"<Encrypt><![CDATA[{encrypt}]]></Encrypt><AgentID>1000002</AgentID></xml>"
    )
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return client.post(
        f"/inbox/hooks/wecom/{source.pk}/?{query}", data=body, content_type="text/xml"
    )


def dingtalk_post(
    client, source, payload: dict, *, timestamp_ms=None, secret=DING_SECRET, sign=None
):
    timestamp = str(int(time.time() * 1000) if timestamp_ms is None else timestamp_ms)
    sign = sign if sign is not None else crypto.dingtalk_signature(secret, timestamp)
    return client.post(
        f"/inbox/hooks/dingtalk/{source.pk}/",
        data=json.dumps(payload, ensure_ascii=False),
        content_type="application/json",
        headers={"timestamp": timestamp, "sign": sign},
    )


def ding_payload(sender: str, content: str, msg_id: str, webhook: str = "") -> dict:
    return {
        "msgtype": "text",
        "text": {"content": content},
        "msgId": msg_id,
        "createAt": int(time.time() * 1000),
        "conversationType": "1",
        "senderId": f"$:LWCP_v1:${sender}",
        "senderStaffId": sender,
        "senderNick": "钉钉用户",
        "sessionWebhook": webhook,
    }


# --- a fake HTTP server (WeCom API, DingTalk session webhook) --------------------------------


class FakeApi:
    def __init__(self):
        self.requests: list[dict] = []
        self.answers: dict[str, deque] = {}
        self.port = 0

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, path: str, *answers) -> None:
        self.answers.setdefault(path, deque()).extend(answers)

    def paths(self) -> list[str]:
        return [r["path"] for r in self.requests]


def _handler(api: FakeApi):
    class Handler(BaseHTTPRequestHandler):
        def _serve(self, method):
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            parts = urlsplit(self.path)
            try:
                payload = json.loads(raw) if raw else None
            except ValueError:
                payload = None
            api.requests.append(
                {
                    "method": method,
                    "path": parts.path,
                    "query": {k: v[0] for k, v in parse_qs(parts.query).items()},
                    "json": payload,
                }
            )
            queue = api.answers.get(parts.path)
            status, body = queue.popleft() if queue else (200, {"errcode": 0, "errmsg": "ok"})
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self._serve("GET")

        def do_POST(self):
            self._serve("POST")

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def allow_private(settings):
    settings.SALESOPS = {**settings.SALESOPS, "WEBHOOK_ALLOW_PRIVATE": True}


@pytest.fixture
def fake_api(allow_private):
    api = FakeApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    api.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield api
    server.shutdown()
    server.server_close()


# --- a small in-process IMAP server -------------------------------------------------------


class Mailbox:
    """What the fake IMAP server holds: ``{uid: [raw bytes, seen?]}`` and the commands."""

    def __init__(self, user="inbox@example.com", password="pw"):
        self.user, self.password = user, password
        self.mails: dict[int, list] = {}
        self.commands: list[str] = []
        self.port = 0

    def add(self, raw: bytes) -> int:
        uid = max(self.mails, default=0) + 1
        self.mails[uid] = [raw, False]
        return uid


def _imap_handler(box: Mailbox):
    class Handler(socketserver.StreamRequestHandler):
        def send(self, line: str | bytes):
            self.wfile.write((line.encode() if isinstance(line, str) else line) + b"\r\n")

        def handle(self):
            self.send("* OK fake IMAP4rev1 ready")
            authed = False
            while True:
                line = self.rfile.readline()
                if not line:
                    return
                parts = line.decode().rstrip("\r\n").split(" ")
                tag, command, args = parts[0], parts[1].upper(), parts[2:]
                box.commands.append(" ".join([command, *args[:2]]))
                if command == "CAPABILITY":
                    self.send("* CAPABILITY IMAP4rev1 AUTH=PLAIN")
                    self.send(f"{tag} OK CAPABILITY completed")
                elif command == "LOGIN":
                    user, password = (a.strip('"') for a in args[:2])
                    if (user, password) == (box.user, box.password):
                        authed = True
                        self.send(f"{tag} OK LOGIN completed")
                    else:
                        self.send(f"{tag} NO [AUTHENTICATIONFAILED] invalid credentials")
                elif command == "SELECT" and authed:
                    self.send(f"* {len(box.mails)} EXISTS")
                    self.send("* OK [UIDVALIDITY 1] UIDs valid")
                    self.send(f"{tag} OK [READ-WRITE] SELECT completed")
                elif command == "UID" and authed:
                    self._uid(tag, args)
                elif command == "LOGOUT":
                    self.send("* BYE logging out")
                    self.send(f"{tag} OK LOGOUT completed")
                    return
                else:
                    self.send(f"{tag} BAD unknown or not allowed")

        def _uid(self, tag, args):
            sub = args[0].upper()
            if sub == "SEARCH":
                unseen = [str(u) for u, (_raw, seen) in sorted(box.mails.items()) if not seen]
                self.send("* SEARCH" + ("" if not unseen else " " + " ".join(unseen)))
                self.send(f"{tag} OK SEARCH completed")
            elif sub == "FETCH":
                uid = int(args[1])
                raw = box.mails[uid][0]
                seq = sorted(box.mails).index(uid) + 1
                self.wfile.write(f"* {seq} FETCH (UID {uid} RFC822 {{{len(raw)}}}\r\n".encode())
                self.wfile.write(raw)
                self.send(")")
                self.send(f"{tag} OK FETCH completed")
            elif sub == "STORE":
                uid = int(args[1])
                if "\\Seen" in " ".join(args[2:]):
                    box.mails[uid][1] = True
                seq = sorted(box.mails).index(uid) + 1
                self.send(f"* {seq} FETCH (UID {uid} FLAGS (\\Seen))")
                self.send(f"{tag} OK STORE completed")
            else:
                self.send(f"{tag} BAD unknown UID command")

    return Handler


@pytest.fixture
def imap_server():
    box = Mailbox()
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _imap_handler(box))
    server.daemon_threads = True
    box.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box
    server.shutdown()
    server.server_close()


@pytest.fixture
def email_source(org, imap_server):
    return configuration.source_save(
        actor=org.admin,
        kind=SourceKind.EMAIL,
        name="Sales mailbox",
        imap_host="127.0.0.1",
        imap_port=imap_server.port,
        imap_user=imap_server.user,
        imap_password=imap_server.password,
        imap_ssl=False,
    )


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
