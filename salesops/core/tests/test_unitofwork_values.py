"""core.unitofwork writes a value as Django's own conversion would: the shortcut for text,
booleans, integers and date-times gives the same row as ``pre_save`` + ``get_db_prep_save``."""

import datetime as dt

import pytest
from django.db import connection

from salesops.core import clock, rowinserts
from salesops.exchange.models import ImportRow
from salesops.leads import services
from salesops.leads.models import Inquiry
from salesops.leads.tests.factories import lead_data, make_channel

pytestmark = pytest.mark.django_db


def _django_row(instance, fields):
    return [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]


def _comparable(rows):
    # psycopg's Jsonb wrapper has no equality of its own: compare what it wraps.
    return [[getattr(v, "obj", v) for v in row] for row in rows]


@pytest.mark.parametrize("copy", [False, True])
def test_values_are_djangos(org, copy):
    """``copy``: the values for PostgreSQL's COPY, where an integer may be a plain int
    (psycopg's Int8 is an int subclass that COPY writes as the same text) and an aware
    date-time is itself."""
    lead = services.lead_intake(channel=make_channel(), data=lead_data(), owner=org.rep_a).lead
    lead.progressed_at = clock.now() - dt.timedelta(days=2, microseconds=7)
    lead.escalation_level = 2
    inquiry = Inquiry.objects.filter(lead=lead).first()
    for instance in (lead, inquiry, ImportRow(row_no=3, key="k", status="error", values=["a", 1])):
        model = type(instance)
        fields = [f for f in model._meta.local_concrete_fields if not f.generated]
        ours = rowinserts._values(connection, fields, [instance], copy=copy)
        assert _comparable(ours) == _comparable([_django_row(instance, fields)]), model
