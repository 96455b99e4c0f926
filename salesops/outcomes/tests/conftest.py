"""Shared data for the outcome tests: a fixed week (Mon 2026-11-02 … Sun 11-08, Asia/Shanghai),
the clock frozen after it, and helpers that write records with exact instants."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from salesops.activities.models import Activity
from salesops.core import clock
from salesops.leads.models import Lead
from salesops.leads.tests.factories import ChannelFactory
from salesops.outcomes.models import OutcomePolicy

WEEK = dt.date(2026, 11, 2)
END = WEEK + dt.timedelta(days=7)
NOW = timezone.make_aware(dt.datetime(2026, 11, 20, 12, 0))
BEFORE = WEEK - dt.timedelta(days=14)  # two weeks before go-live
GO_LIVE = WEEK - dt.timedelta(days=7)


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@pytest.fixture(autouse=True)
def frozen_now(db):
    cache.clear()
    with clock.frozen(NOW):
        yield NOW


@pytest.fixture
def channel(db):
    return ChannelFactory()


def make_lead(channel, owner, created, **fields) -> Lead:
    n = Lead.objects.count()
    fields.setdefault("contact_name", f"联系人{n}")
    fields.setdefault("phone", f"+86138{n:08d}")
    fields.setdefault("company", f"公司{n}")
    fields.setdefault("need", "需要报价")
    lead = Lead.objects.create(
        channel=channel, owner=owner, team=owner.team if owner else None, **fields
    )
    Lead.objects.filter(pk=lead.pk).update(created_at=created)
    lead.refresh_from_db()
    return lead


def make_touch(owner, when, *, lead=None, account=None, effective=True) -> Activity:
    activity = Activity.objects.create(
        kind="call",
        owner=owner,
        lead=lead,
        account=account,
        started_at=when,
        effective=effective,
        duration_seconds=60,
    )
    Activity.objects.filter(pk=activity.pk).update(created_at=when)
    return activity


@pytest.fixture
def history(org, channel):
    """Slow follow-up before go-live (imported history), fast after it."""
    for owner in (org.rep_a, org.rep_d):
        slow = make_lead(channel, owner, at(BEFORE))
        make_touch(owner, at(BEFORE + dt.timedelta(days=4)), lead=slow)
        fast = make_lead(channel, owner, at(WEEK))
        make_touch(owner, at(WEEK + dt.timedelta(days=1)), lead=fast)
    OutcomePolicy.objects.create(go_live_on=GO_LIVE)
    return org


def login(client, user):
    client.force_login(user)
    return client
