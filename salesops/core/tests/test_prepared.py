"""core.prepared: the hot path's statements, bound on the server on PostgreSQL, still
behave as Django's cursor does: results, logged queries and Django's errors."""

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from salesops.core import prepared
from salesops.org.models import Team


def test_statements_run_logged_and_with_djangos_errors(db):
    team = Team.objects.create(name="华东")
    table = connection.ops.quote_name(Team._meta.db_table)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(7):  # past psycopg's prepare threshold (5) on PostgreSQL
            with prepared.cursor() as cursor:
                cursor.execute(f"SELECT name FROM {table} WHERE id = %s", [team.pk])
                assert cursor.fetchone() == ("华东",)
    assert len(queries) == 7
    if connection.vendor == "postgresql":
        import psycopg

        with prepared.cursor() as cursor:
            # server-side binding: not the client-side cursor Django uses elsewhere
            assert not isinstance(cursor.cursor, psycopg.ClientCursor)
    with pytest.raises(IntegrityError), prepared.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (id, name) VALUES (%s, %s)", [team.pk, "again"])


def test_switched_off_it_is_djangos_cursor(db, settings):
    settings.SALESOPS = {**settings.SALESOPS, "PREPARED_STATEMENTS": False}
    with prepared.cursor() as cursor:
        assert type(cursor.cursor) is type(connection.cursor().cursor)
