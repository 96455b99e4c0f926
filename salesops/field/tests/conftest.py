"""Fixtures of the offline app's tests: leads kept with the org's reps, outbox items."""

import uuid

import pytest

from salesops.leads.models import Channel
from salesops.leads.tests.factories import LeadFactory, lead_data, make_channel


def lead_for(user, **data):
    channel = Channel.objects.filter(kind="website").first() or make_channel()
    return LeadFactory(channel=channel, owner=user, **lead_data(**data))


def item(kind, payload, uid=None):
    return {"uuid": str(uid or uuid.uuid4()), "kind": kind, "payload": payload}


@pytest.fixture
def lead_a(org):
    return lead_for(org.rep_a)


@pytest.fixture
def lead_b(org):
    return lead_for(org.rep_b)
