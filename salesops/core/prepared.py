"""A cursor for the few statements every request of a hot path runs (the lead intake's).

Django's PostgreSQL backend binds parameters on the client by default: each statement
reaches the server as new text, which PostgreSQL parses and plans again every time. For
the ORM at large that is the safe choice (server-side binding limits a statement to 65,535
parameters, which a large ``__in`` or a cascade delete can pass). For a statement whose
text is the same on every request, built once by us, server-side binding lets psycopg
prepare it on the connection after its fifth use (``prepare_threshold``) and PostgreSQL
skips the parse and plan from then on. The intake runs about ten such statements per lead.

:func:`cursor` gives such a cursor on PostgreSQL (wrapped by Django, so errors are Django's
and the statements show in ``connection.queries`` when it logs them) and Django's usual
cursor elsewhere. Parameters must be plain values (ids, dates, strings) or values already
adapted with a field's ``get_db_prep_save``. ``SALESOPS["PREPARED_STATEMENTS"] = False``
(for a connection pooler that cannot keep prepared statements) gives Django's cursor.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection as default_connection


def cursor(connection=None):
    connection = connection or default_connection
    if connection.vendor != "postgresql" or not settings.SALESOPS.get("PREPARED_STATEMENTS", True):
        return connection.cursor()
    import psycopg

    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = psycopg.Cursor(connection.connection)
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)
    return connection.make_cursor(raw)
