"""Append-only tables guarded by the database itself (SPEC I7: a payout ledger nothing
may update or delete).

The model refuses ``save()`` of an existing row and ``delete()``; that stops the ORM but
not a queryset ``update()``, a cascade or a hand-typed SQL statement. So the migration that
creates such a table also adds row triggers that abort any ``UPDATE`` or ``DELETE``:

* **PostgreSQL**: one trigger function raising ``SQLSTATE 55000`` (object not in
  prerequisite state) for ``BEFORE UPDATE OR DELETE ... FOR EACH ROW``. Django's ``flush``
  (tests, ``manage.py flush``) uses ``TRUNCATE``, which fires no row trigger.
* **SQLite**: ``BEFORE UPDATE`` and ``BEFORE DELETE`` triggers calling ``RAISE(ABORT)``.
  SQLite's flush is a ``DELETE FROM`` per table, so the delete trigger stands aside while
  ``salesops_flush`` (a one-row table outside Django's model list) holds a row: our SQLite
  backend (``core/sqlite``) inserts it before a flush's deletes and removes it after, in
  the same transaction. Nothing else writes that table.

Both surface as :class:`django.db.utils.IntegrityError`/``InternalError``/
``OperationalError`` to the caller: a bug, never a user path (services never try).
"""

from __future__ import annotations

from django.db import migrations

FLUSH_TABLE = "salesops_flush"
MESSAGE = "append-only table: rows cannot be updated or deleted"


def _sqlite_sql(table: str) -> tuple[list[str], list[str]]:
    create = [
        f'CREATE TABLE IF NOT EXISTS "{FLUSH_TABLE}" ("flushing" integer NOT NULL)',
        f'CREATE TRIGGER "{table}_no_update" BEFORE UPDATE ON "{table}" '
        f"BEGIN SELECT RAISE(ABORT, '{table}: {MESSAGE}'); END",
        f'CREATE TRIGGER "{table}_no_delete" BEFORE DELETE ON "{table}" '
        f'WHEN NOT EXISTS (SELECT 1 FROM "{FLUSH_TABLE}") '
        f"BEGIN SELECT RAISE(ABORT, '{table}: {MESSAGE}'); END",
    ]
    drop = [
        f'DROP TRIGGER IF EXISTS "{table}_no_update"',
        f'DROP TRIGGER IF EXISTS "{table}_no_delete"',
    ]
    return create, drop


def _postgres_sql(table: str) -> tuple[list[str], list[str]]:
    function = f"{table}_append_only"
    create = [
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN RAISE EXCEPTION '{table}: {MESSAGE}' USING ERRCODE = '55000'; END; $$",
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {function}()",
    ]
    drop = [
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
        f"DROP FUNCTION IF EXISTS {function}()",
    ]
    return create, drop


def _statements(vendor: str, table: str) -> tuple[list[str], list[str]]:
    if vendor == "postgresql":
        return _postgres_sql(table)
    if vendor == "sqlite":
        return _sqlite_sql(table)
    return [], []


class AppendOnly(migrations.operations.base.Operation):
    """Migration operation: guard ``table`` against UPDATE and DELETE (see the module)."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, table: str):
        self.table = table

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        for sql in _statements(schema_editor.connection.vendor, self.table)[0]:
            schema_editor.execute(sql)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        for sql in _statements(schema_editor.connection.vendor, self.table)[1]:
            schema_editor.execute(sql)

    def describe(self):
        return f"Refuse UPDATE and DELETE on {self.table}"

    def deconstruct(self):
        return (self.__class__.__name__, [], {"table": self.table})


def flush_sql(quote_name, tables, statements: list[str]) -> list[str]:
    """SQLite flush statements with the append-only delete triggers stood aside."""
    if not statements:
        return statements
    table = quote_name(FLUSH_TABLE)
    return [
        f"CREATE TABLE IF NOT EXISTS {table} (flushing integer NOT NULL);",
        f"INSERT INTO {table} (flushing) VALUES (1);",
        *statements,
        f"DELETE FROM {table};",
    ]
