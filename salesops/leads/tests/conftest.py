"""Fixtures for lead tests: the default SLA rules, installed as they are after migrate."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from salesops.core import clock
from salesops.core.models import OrgSettings
from salesops.leads.tests.api_helpers import client_for

SH = ZoneInfo("Asia/Shanghai")


def at(day: str, hhmm: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=SH)


@pytest.fixture
def lead_rules(db):
    """The default lead rules (reminder, breach, escalation, dwell report), created as
    if installed long before the test's instants."""
    from salesops.leads.defaults import install_rules

    with clock.frozen(at("2026-01-01", "00:00")):
        rules = install_rules()
    return {rule.code: rule for rule in rules}


@pytest.fixture
def lunch_break(db):
    OrgSettings.objects.create(lunch_start=dt.time(12), lunch_end=dt.time(13, 30))


@pytest.fixture
def as_(org):
    """``as_("rep_a")`` → an API client authenticated as that user of the org fixture."""
    cache: dict[str, Client] = {}

    def get(name: str) -> Client:
        if name not in cache:
            cache[name] = client_for(getattr(org, name))
        return cache[name]

    return get
