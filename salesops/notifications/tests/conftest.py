"""Fixtures for the notifications tests: a real local HTTP server standing in for the
WeCom / DingTalk / Feishu bot endpoints, and helpers to run after-commit work."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from .factories import ChannelConfigFactory

SH = ZoneInfo("Asia/Shanghai")


def at(text: str) -> dt.datetime:
    """An instant in Shanghai time: ``at("2026-03-02 10:00")``."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SH)


def tick(moment: dt.datetime) -> str:
    """``salesops tick --now <moment>``, as an operator would run it."""
    out = StringIO()
    call_command("tick", "--now", moment.isoformat(), stdout=out)
    return out.getvalue()


class FakeBot:
    """What the fake server received (``requests``: path, query, headers, json) and what
    it answers next (``answers``: (status, body) pairs; when empty, a bot's "ok")."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: deque = deque()
        self.default = (200, {"errcode": 0, "errmsg": "ok"})
        self.port = 0

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, *answers) -> None:
        self.answers.extend(answers)


def _handler(bot: FakeBot):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            parts = urlsplit(self.path)
            try:
                payload = json.loads(raw)
            except ValueError:
                payload = None
            bot.requests.append(
                {
                    "path": parts.path,
                    "query": {k: v[0] for k, v in parse_qs(parts.query).items()},
                    "headers": dict(self.headers),
                    "raw": raw,
                    "json": payload,
                }
            )
            status, body = bot.answers.popleft() if bot.answers else bot.default
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):  # keep the test output clean
            pass

    return Handler


@pytest.fixture
def allow_private(settings):
    """Tests' bots live on 127.0.0.1, which production refuses."""
    settings.SALESOPS = {**settings.SALESOPS, "WEBHOOK_ALLOW_PRIVATE": True}


@pytest.fixture
def fake_bot(allow_private):
    bot = FakeBot()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(bot))
    bot.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield bot
    server.shutdown()
    server.server_close()


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks):
    """``with after_commit(): …`` runs what the block queued for after the commit (the
    Huey delivery task, which runs inline under pytest), as a real commit would."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


@pytest.fixture
def channel(org, fake_bot):
    """Make an active bot channel pointing at the fake server."""

    def make(kind="wecom", name=None, secret="", path="/hook"):
        return ChannelConfigFactory(
            actor=org.admin,
            kind=kind,
            name=name or f"{kind} bot",
            webhook_url=fake_bot.url(path),
            secret=secret,
        )

    return make
