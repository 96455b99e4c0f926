"""The inserts of :mod:`core.unitofwork`: rows written with one prepared ``INSERT`` run with
``executemany`` (SQLite) or one ``COPY … FROM STDIN`` (PostgreSQL), their values converted
once each as ``bulk_create`` converts them, and the history rows a save would write.

:func:`insert_plain` writes rows whose values are given as the database takes them, for
a bulk writer's own bookkeeping rows (an import's report rows and row keys)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connections, models

from . import clock
from .history import with_source

# # ``bulk_create`` compiles every value of every row through the SQL compiler (about a third
# of a feed batch's time); one parameterised statement run with ``executemany`` does the
# same work with the values converted once each, as ``bulk_create`` converts them
# (``pre_save`` then ``get_db_prep_save``).


def _insert(connection, model, instances) -> tuple[list, list[list]]:
    """Insert the rows; returns the fields and the values written (the history reuses them)."""
    fields = [f for f in model._meta.local_concrete_fields if not f.generated]
    values = _values(connection, fields, instances, copy=True)
    _execute_many(connection, model._meta.db_table, [f.column for f in fields], values)
    return fields, values


def _values(connection, fields, instances, *, copy: bool = False) -> list[list]:
    """The rows' values as the database takes them. ``copy``: for :func:`_execute_many`,
    whose PostgreSQL ``COPY`` writes each value as text, where an integer is the same
    whether psycopg's ``Int8`` wrapper or a plain ``int`` holds it."""
    for instance in instances:
        # Django's check of assigned related objects (unsaved ones, changed ids) reads
        # the related objects cached on the instance: with none cached there is nothing
        # to check (the report rows and row keys of an import name their job by id).
        if instance._state.fields_cache or instance._meta.private_fields:
            instance._prepare_related_fields_for_save(operation_name="bulk_create")
    vendor = connection.vendor
    if copy and vendor == "postgresql":
        vendor = COPY_VENDOR
    # Per field: (field, attname, the type taken as it is, None taken as it is).
    plan = []
    for f in fields:
        kind = _stored_as_is(f, vendor)
        plan.append((f, f.attname, kind or _CONVERT, kind is not None))
    zone = connection.timezone if connection.vendor == "sqlite" and settings.USE_TZ else None

    def convert(field, instance, value, kind):
        if kind is _AWARE and type(value) is dt.datetime and value.tzinfo is not None:
            if zone is not None:
                # SQLite's adapt_datetimefield_value: naive in the connection's zone, as text.
                return str(value.astimezone(zone).replace(tzinfo=None))
            if vendor == COPY_VENDOR:
                # PostgreSQL's adapt_datetimefield_value: the aware value itself.
                return value
        return field.get_db_prep_save(field.pre_save(instance, True), connection)

    rows = []
    for instance in instances:
        get = instance.__dict__.get
        # A value Django's own preparation would hand on unchanged (most of a row) is
        # taken as it is, without the field's conversion chain; the rest are converted.
        rows.append(
            [
                value
                if type(value) is kind or (value is None and as_is)
                else convert(field, instance, value, kind)
                for field, attname, kind, as_is in plan
                for value in (get(attname, _ABSENT),)
            ]
        )
    return rows


_ABSENT = object()
_CONVERT = type("_CONVERT", (), {})  # a field whose every value is converted
COPY_VENDOR = "postgresql-copy"  # PostgreSQL, values for COPY (see _values)
_AWARE = type("_AWARE", (), {})  # a date-time field on SQLite: see _values
_AS_IS: dict[tuple[int, str], type | None] = {}


def _stored_as_is(field, vendor: str) -> type | None:
    """``str``, ``bool`` or ``int`` when Django writes a value of that type (or None) of
    ``field`` unchanged — its class uses Django's own ``pre_save`` and preparation of
    text, boolean or integer fields (integers on SQLite, and for PostgreSQL's COPY:
    elsewhere PostgreSQL wraps them for psycopg); ``_AWARE`` for a plain date-time
    field on SQLite (written as text, in the connection's zone) or for COPY (an aware
    value as it is); else None: the field's own conversion."""
    key = (id(field), vendor)
    if key not in _AS_IS:
        _AS_IS[key] = _as_is_kind(field, vendor)
    return _AS_IS[key]


def _as_is_kind(field, vendor: str) -> type | None:
    from django.db.models.fields import AutoFieldMixin, Field

    cls = type(field)
    if (
        vendor in ("sqlite", COPY_VENDOR)
        and cls.pre_save is models.DateTimeField.pre_save
        and not (field.auto_now or field.auto_now_add)
        and cls.get_db_prep_save is Field.get_db_prep_save
        and cls.get_db_prep_value is models.DateTimeField.get_db_prep_value
        and cls.get_prep_value is models.DateTimeField.get_prep_value
    ):
        return _AWARE
    if cls.pre_save is not Field.pre_save:
        return None
    if isinstance(field, models.ForeignKey):
        if cls.get_db_prep_save is not models.ForeignKey.get_db_prep_save:
            return None
        kind = _as_is_kind(field.target_field, vendor)
        return int if kind is int else None
    if cls.get_db_prep_save is not Field.get_db_prep_save:
        return None
    text = (models.CharField.get_prep_value, models.TextField.get_prep_value)
    if cls.get_db_prep_value is Field.get_db_prep_value and cls.get_prep_value in text:
        return str
    if cls.get_db_prep_value is Field.get_db_prep_value and (
        cls.get_prep_value is models.BooleanField.get_prep_value
    ):
        return bool
    integer = (models.IntegerField.get_db_prep_value, AutoFieldMixin.get_db_prep_value)
    if (
        vendor in ("sqlite", COPY_VENDOR)
        and cls.get_db_prep_value in integer
        and cls.get_prep_value is models.IntegerField.get_prep_value
    ):
        return int
    return None


_HISTORY_OWN = ("history_date", "history_change_reason", "history_type", "history_user_id")


def _history_fields(history_model) -> list | None:
    """The columns of a history model made of the tracked fields and simple-history's own;
    None for any other (it is written by simple-history's ``bulk_history_create``)."""
    tracked = {f.attname for f in history_model.tracked_fields}
    fields = [f for f in history_model._meta.concrete_fields if f is not history_model._meta.pk]
    if any(f.attname not in tracked and f.attname not in _HISTORY_OWN for f in fields):
        return None
    return fields


def _history_values(connection, fields, instances, written=None) -> list[list]:
    """The history rows a save would write ("+": created, with the save's user and reason).
    ``written``: the fields and values just inserted for ``instances``; a tracked column
    takes the value prepared for the row instead of preparing it again."""
    now = clock.now()
    position = {}
    if written is not None:
        position = {f.attname: i for i, f in enumerate(written[0])}
    values = []
    for n, instance in enumerate(instances):
        own = {
            "history_date": getattr(instance, "_history_date", now),
            "history_change_reason": with_source(getattr(instance, "_change_reason", "")),
            "history_type": "+",
            "history_user_id": getattr(getattr(instance, "_history_user", None), "pk", None),
        }
        row = written[1][n] if written is not None else None
        values.append(
            [
                row[position[f.attname]]
                if f.attname in position and f.attname not in own
                else f.get_db_prep_save(
                    own[f.attname] if f.attname in own else getattr(instance, f.attname),
                    connection,
                )
                for f in fields
            ]
        )
    return values


def _insert_history(connection, manager, instances, written=None) -> None:
    fields = _history_fields(manager.model)
    if fields is None:
        manager.bulk_history_create(instances)
        return
    _execute_many(
        connection,
        manager.model._meta.db_table,
        [f.column for f in fields],
        _history_values(connection, fields, instances, written),
    )


_statements: dict[tuple, str] = {}


def _statement(connection, table: str, columns: tuple, returning: str | None = None) -> str:
    """``INSERT … VALUES (%s, …) [RETURNING pk]``, built once per database kind and table."""
    key = (connection.vendor, table, columns, returning)
    sql = _statements.get(key)
    if sql is None:
        quote = connection.ops.quote_name
        names = ", ".join(quote(c) for c in columns)
        sql = f"INSERT INTO {quote(table)} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
        if returning:
            sql += f" RETURNING {quote(returning)}"
        _statements[key] = sql
    return sql


def _execute_many(connection, table: str, columns: list[str], values: list[list]) -> None:
    """PostgreSQL: ``COPY … FROM STDIN`` (one round trip for all the rows); SQLite: one
    prepared ``INSERT`` run with ``executemany``."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # psycopg's own cursor (Django's wrapper has no copy()): its errors are turned
            # into Django's (IntegrityError …) here, as the wrapper would.
            copy_sql = f"COPY {quote(table)} ({names}) FROM STDIN"
            with connection.wrap_database_errors, cursor.cursor.copy(copy_sql) as copy:
                for row in values:
                    copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(columns))
        cursor.executemany(f"INSERT INTO {quote(table)} ({names}) VALUES ({placeholders})", values)


def insert_plain(model, names: list[str], rows: list, *, using: str = "default") -> None:
    """Write ``rows`` of ``model``: one tuple per row, its values for the fields named by
    ``names`` (attnames) as the database takes them — text, numbers, booleans, None, JSON
    already encoded (``json.dumps``) and date-times adapted by the connection
    (``connection.ops.adapt_datetimefield_value``). The database numbers the rows; no
    history, signal or event is written or sent."""
    if not rows:
        return
    meta = model._meta
    columns = [meta.get_field(name).column for name in names]
    _execute_many(connections[using], meta.db_table, columns, rows)
