"""Fixtures for the automation tests: a rule factory, time helpers and a recorder of the
notifications rules send (so engine tests count actions without depending on how the
notifications app stores them; tests/test_integration.py checks the real inbox)."""

from __future__ import annotations

import datetime as dt
import threading
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from salesops.automation import actions
from salesops.core import clock

from .factories import RuleFactory

SH = ZoneInfo("Asia/Shanghai")


def at(day: str, hhmm: str) -> dt.datetime:
    """An instant in Shanghai time: ``at("2026-09-30", "17:30")``."""
    return dt.datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=SH)


def tick(moment: dt.datetime) -> str:
    """``salesops tick --now <moment>``; returns its output."""
    out = StringIO()
    call_command("tick", "--now", moment.isoformat(), stdout=out)
    return out.getvalue()


def make_rule(actor, *, when: dt.datetime | None = None, **data):
    """A rule as ``services.rule_create`` makes it from ``data`` alone (no trigger or
    actions unless given), written at ``when`` if given."""
    data = {"name": "Test rule", "trigger": None, "actions": None, **data}
    if when is None:
        return RuleFactory(actor=actor, **data)
    with clock.frozen(when):
        return RuleFactory(actor=actor, **data)


class Sent(list):
    """Notification items handed to notify_many, in order (thread-safe appends)."""

    lock = threading.Lock()

    def to(self, user) -> list[dict]:
        return [item for item in self if item["recipient_id"] == user.pk]


@pytest.fixture
def sent(monkeypatch):
    recorder = Sent()

    def record(items):
        with recorder.lock:
            recorder.extend(items)
        return len(items)

    monkeypatch.setattr(actions, "send_notifications", record)
    return recorder


@pytest.fixture
def allow_private(settings):
    settings.SALESOPS = {**settings.SALESOPS, "WEBHOOK_ALLOW_PRIVATE": True}
