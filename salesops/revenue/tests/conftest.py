"""Fixtures for the revenue tests: a fixed "today" after the contracts were signed."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

# 2026-07-15 10:00 Shanghai: the first two instalments of the default plan are due.
TODAY = timezone.make_aware(dt.datetime(2026, 7, 15, 10, 0), timezone.get_default_timezone())


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def seen():
    """Revenue events dispatched during the test (after commit), as (name, payload)."""
    from salesops.core import events

    log = []

    def handler(name, payload):
        if name.split(".")[0] in ("contract", "payment", "invoice", "delivery", "order"):
            log.append((name, payload))

    events.subscribe("*", handler)
    yield log
    events.unsubscribe("*", handler)
