"""Fixtures for the activities tests: leads and accounts owned by the org's reps."""

import datetime as dt

import pytest
from django.utils import timezone

from salesops.customers.tests.factories import AccountFactory
from salesops.leads.models import Channel
from salesops.leads.tests.factories import LeadFactory, lead_data, make_channel

# A Tuesday morning in Shanghai: inside working hours, so the SLA clock is running.
NOON = timezone.make_aware(dt.datetime(2026, 11, 24, 10, 0), timezone.get_default_timezone())


def lead_for(user, **data):
    """A new lead kept with ``user`` (their own quick entry), its SLA clock started."""
    channel = Channel.objects.filter(kind="website").first() or make_channel()
    return LeadFactory(channel=channel, owner=user, **lead_data(**data))


def account_for(user, name="杭州云帆智能科技有限公司"):
    return AccountFactory(owner=user, name=name)


@pytest.fixture
def lead_a(org):
    return lead_for(org.rep_a)


@pytest.fixture
def lead_b(org):
    return lead_for(org.rep_b)


@pytest.fixture
def lead_rules(db):
    """The default lead rules (the SLA clock among them), installed long before NOON."""
    from salesops.core import clock
    from salesops.leads.defaults import install_rules

    with clock.frozen(NOON - dt.timedelta(days=300)):
        install_rules()


@pytest.fixture
def events_seen():
    """The ``activity.logged`` payloads dispatched during the test (after commit)."""
    from salesops.core import events

    seen = []

    def handler(name, payload):
        seen.append(payload)

    events.subscribe("activity.logged", handler)
    yield seen
    events.unsubscribe("activity.logged", handler)
