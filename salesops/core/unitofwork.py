"""Deferred inserts for bulk writers: records checked one by one, new rows written together.

The finance feed takes up to a thousand records a request. Saved one at a time, each new
row costs an ``INSERT``, a history ``INSERT`` and the ORM's per-save machinery; at a few
hundred records a second that is most of the time. Inside :func:`deferred` the services
still validate and "save" each record in turn, but a *new* row only joins a queue:

* it gets its primary key at once, reserved from the table's sequence (PostgreSQL) or past
  the table's highest id (SQLite, whose write transaction this process holds), so the
  services, the events and the caller see the id they would have seen;
* :meth:`UnitOfWork.flush` writes the queue per model with one ``COPY … FROM STDIN``
  (PostgreSQL) or one prepared ``INSERT`` run with ``executemany`` (SQLite), the values
  converted as ``bulk_create`` converts them; then the history rows the same way, with the
  values, user, reason and type "+" a save would give them (simple-history's
  ``bulk_history_create`` for a history model with fields of its own); then one
  ``transaction.on_commit`` dispatches the events the services emitted, in their order.

Changes to rows that already exist, and deletions, are written at once as usual.

:func:`insert_now` and :func:`insert_together` write the same way at once, for one new row
(and rows pointing to it): the lead intake's path.

The caller keeps records apart with :meth:`UnitOfWork.mark` and :meth:`UnitOfWork.rollback`:
a record refused half-way drops what it queued (rows and events). Code running inside
:func:`deferred` must write new rows only through :func:`save_new` (the services' ``save``
helpers do), and must :meth:`flush` before it reads back a row it queued — the feed does when a
record names a queued row. A clash only the database sees (a unique number) surfaces as
``IntegrityError`` from :meth:`flush`; the feed then runs the batch again record by record.

Only for SQLite and PostgreSQL (:func:`supported`); elsewhere :func:`deferred` yields None and
everything is written at once.
"""

from __future__ import annotations

import contextlib
import contextvars
import itertools
from collections.abc import Callable, Iterator

from django.db import connections, models, transaction
from django.dispatch import Signal

from . import clock, configcache
from .history import save_with_history
from .rowinserts import (
    _history_fields,
    _history_values,
    _insert,
    _insert_history,
    _statement,
    _statements,
    _values,
)

_current: contextvars.ContextVar[UnitOfWork | None] = contextvars.ContextVar(
    "salesops_unit_of_work", default=None
)
# The write-behind in force (core.writebehind): deferred() yields its capturing unit.
_behind: contextvars.ContextVar = contextvars.ContextVar("salesops_write_behind", default=None)

# Sent (sender: the model, ``instances``: the rows) in the transaction that wrote new rows
# without their per-row ``post_save``: :meth:`UnitOfWork.flush`, :func:`insert_now`,
# :func:`insert_together`. For what signals keep up to date (``targets.rollup``).
rows_inserted = Signal()

FIRST_BLOCK = 16  # ids reserved at first per model (PostgreSQL); doubles up to MAX_BLOCK
MAX_BLOCK = 1000


def supported(using: str = "default") -> bool:
    return connections[using].vendor in ("sqlite", "postgresql")


def current() -> UnitOfWork | None:
    return _current.get()


def behind():
    """The :class:`core.writebehind.WriteBehind` in force, or None."""
    return _behind.get()


def set_behind(value) -> contextvars.Token:
    return _behind.set(value)


def reset_behind(token: contextvars.Token) -> None:
    _behind.reset(token)


@contextlib.contextmanager
def deferred(using: str = "default"):
    """A :class:`UnitOfWork` for the block (None where the database is not supported).
    It must run inside a transaction; the caller flushes it before the block ends.
    Under a write-behind (:mod:`core.writebehind`) the unit's flush hands its rows to the
    write-behind's child instead, and no transaction is needed."""
    if (writer := _behind.get()) is not None and writer.using == using:
        unit = writer.unit()
        token = _current.set(unit)
        try:
            yield unit
        finally:
            _current.reset(token)
        return
    if not supported(using):
        yield None
        return
    if not connections[using].in_atomic_block:
        raise RuntimeError("unitofwork.deferred() needs a transaction (transaction.atomic)")
    unit = UnitOfWork(using)
    token = _current.set(unit)
    try:
        yield unit
    finally:
        _current.reset(token)


def queueable(model) -> bool:
    """A model can be queued when its ``save`` adds nothing to Django's (and the timestamps'),
    or when what it adds is in a ``before_save()`` method, which the queue runs too."""
    # Imported here: the apps' AppConfig modules import core.events (and so this module)
    # before the app registry is ready, and models cannot load until it is.
    from .models import TimeStampedModel

    return model.save in (models.Model.save, TimeStampedModel.save) or callable(
        getattr(model, "before_save", None)
    )


def save_new(instance, actor, reason: str) -> bool:
    """Queue a new ``instance`` in the current unit of work; False when there is none, the
    instance is not new or its model cannot be queued: the caller then saves it itself."""
    unit = _current.get()
    if unit is None or not instance._state.adding or not queueable(type(instance)):
        return False
    instance._history_user = actor
    instance._change_reason = reason
    unit.add(instance)
    return True


def save_or_queue(instance, actor, reason: str) -> None:
    """Save with the history's user and reason; a new row joins the current unit of
    work's queue when there is one (a feed batch), to be inserted with the others."""
    if not save_new(instance, actor, reason):
        save_with_history(instance, actor, reason)


def emit(name: str, payload: dict, dispatch: Callable[[str, dict], None]) -> bool:
    """Hold an event until the rows it is about are written; False when there is no unit."""
    unit = _current.get()
    if unit is None:
        return False
    unit.events.append((name, payload, dispatch))
    return True


class UnitOfWork:
    def __init__(self, using: str):
        self.using = using
        self.rows: dict[type, list] = {}
        self.events: list[tuple[str, dict, Callable]] = []
        self._queued: set[int] = set()
        self._ids: dict[type, Iterator[int]] = {}  # model → the ids reserved for it
        self._block: dict[type, int] = {}

    # --- queueing ------------------------------------------------------------------------

    def add(self, instance) -> None:
        if id(instance) in self._queued:
            return  # queued earlier in the record: it is written with its final values
        model = type(instance)
        if hasattr(instance, "updated_at"):
            instance.updated_at = clock.now()  # as TimeStampedModel.save does
        if hasattr(instance, "before_save"):
            instance.before_save()
        if instance.pk is None:
            instance.pk = self._next_id(model)
        self.rows.setdefault(model, []).append(instance)
        self._queued.add(id(instance))

    def expect(self, model, count: int) -> None:
        """About ``count`` new ``model`` rows will come: reserve their ids in one go."""
        self._block[model] = max(self._block.get(model, FIRST_BLOCK), min(count, MAX_BLOCK))

    def is_queued(self, instance) -> bool:
        return instance is not None and id(instance) in self._queued

    def __len__(self) -> int:
        return sum(len(rows) for rows in self.rows.values())

    def mark(self) -> tuple[dict[type, int], int]:
        return {model: len(rows) for model, rows in self.rows.items()}, len(self.events)

    def rollback(self, mark: tuple[dict[type, int], int]) -> None:
        """Drop what was queued since ``mark`` (a refused record's rows and events)."""
        counts, events = mark
        for model, rows in self.rows.items():
            keep = counts.get(model, 0)
            for dropped in rows[keep:]:
                self._queued.discard(id(dropped))
                dropped.pk = None
            del rows[keep:]
        del self.events[events:]

    # --- ids -------------------------------------------------------------------------------

    def _next_id(self, model) -> int:
        ids = self._ids.get(model)
        value = next(ids, None) if ids is not None else None
        if value is None:
            ids = self._ids[model] = self._reserve(model)
            value = next(ids)
        return value

    def _reserve(self, model) -> Iterator[int]:
        connection = connections[self.using]
        table = model._meta.db_table
        column = model._meta.pk.column
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                size = self._block.get(model, FIRST_BLOCK)
                self._block[model] = min(size * 2, MAX_BLOCK)
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [quote(table), column, size],
                )
                return iter([row[0] for row in cursor.fetchall()])
            # SQLite: this transaction holds the write lock (BEGIN IMMEDIATE), so nobody
            # else inserts until it ends; count on from the highest id ever used.
            cursor.execute(
                f"SELECT max(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0),"
                f" COALESCE((SELECT max({quote(column)}) FROM {quote(table)}), 0))",
                [table],
            )
            return itertools.count(cursor.fetchone()[0] + 1)

    # --- writing ---------------------------------------------------------------------------

    def flush(self) -> None:
        """Write the queued rows, their history and then the held events (on commit)."""
        rows, events = self.rows, self.events
        self.rows, self.events, self._queued = {}, [], set()
        if not rows and not events:
            return
        with transaction.atomic(using=self.using, savepoint=False):
            for model, instances in rows.items():
                if instances:
                    write_rows(connections[self.using], model, instances)
        if events:
            transaction.on_commit(lambda: dispatch_all(events), using=self.using)


def write_rows(connection, model, instances) -> None:
    """Insert new ``instances`` of ``model`` (their ids set) with their history rows, and
    tell the ``rows_inserted`` receivers."""
    written = _insert(connection, model, instances)
    for instance in instances:
        instance._state.adding = False
        instance._state.db = connection.alias
    history = getattr(model._meta, "simple_history_manager_attribute", None)
    if history:
        _insert_history(connection, getattr(model, history), instances, written)
    rows_inserted.send(sender=model, instances=instances)


def dispatch_all(events) -> None:
    # The subscribers of a batch's thousands of events ask for the same configuration
    # (which automation rules listen, say): its shared version is read once for them.
    with configcache.steady():
        for name, payload, dispatch in events:
            dispatch(name, payload)


# --- one row at once ---------------------------------------------------------------------------


def _prepare_now(instance, actor, reason: str) -> None:
    model = type(instance)
    if not instance._state.adding or not queueable(model):
        raise ValueError(f"insert_now() takes a new {model.__name__} without save() logic")
    if hasattr(instance, "updated_at"):
        instance.updated_at = clock.now()
    if hasattr(instance, "before_save"):
        instance.before_save()
    instance._history_user = actor
    instance._change_reason = reason


def _insert_fields(instance) -> list:
    meta = instance._meta
    with_pk = instance.pk is not None
    return [
        f for f in meta.local_concrete_fields if not f.generated and (with_pk or f is not meta.pk)
    ]


def _written(instance, using: str) -> None:
    instance._state.adding = False
    instance._state.db = using


def _history_manager(model):
    history = getattr(model._meta, "simple_history_manager_attribute", None)
    return getattr(model, history) if history else None


def insert_now(instance, actor=None, reason: str = "", *, using: str = "default") -> None:
    """Insert one new row and its history row at once, as ``save()`` would write them, with
    two statements whose text never changes:
    for a hot path that creates the same models on every request (the lead intake).
    Signals other than simple-history's are not sent; the model must be :func:`queueable`."""
    _prepare_now(instance, actor, reason)
    connection = connections[using]
    meta = instance._meta
    fields = _insert_fields(instance)
    sql = _statement(connection, meta.db_table, tuple(f.column for f in fields), meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(sql, _values(connection, fields, [instance])[0])
        instance.pk = cursor.fetchone()[0]
    _written(instance, using)
    rows_inserted.send(sender=type(instance), instances=[instance])
    manager = _history_manager(type(instance))
    if manager is None:
        return
    fields = _history_fields(manager.model)
    if fields is None:
        manager.bulk_history_create([instance])
        return
    sql = _statement(connection, manager.model._meta.db_table, tuple(f.column for f in fields))
    with connection.cursor() as cursor:
        cursor.execute(sql, _history_values(connection, fields, [instance])[0])


def insert_together(
    parent, children=(), actor=None, reason: str = "", *, using: str = "default"
) -> None:
    """:func:`insert_now` for a new ``parent`` and new ``children`` that point to it
    (``[(child, "foreign key name"), …]``). On PostgreSQL it is one statement — the parent,
    its history row and the children in data-modifying ``WITH`` parts, the children's key
    taken from the parent's ``RETURNING`` — so one round trip instead of one per row.
    Elsewhere (or when a child keeps history of its own) one :func:`insert_now` each."""
    connection = connections[using]
    parent_history = _history_manager(type(parent))
    history_fields = _history_fields(parent_history.model) if parent_history else []
    if (
        connection.vendor != "postgresql"
        or history_fields is None
        or parent.pk is not None
        or any(_history_manager(type(child)) is not None for child, _ in children)
    ):
        insert_now(parent, actor, reason, using=using)
        for child, name in children:
            setattr(child, name, parent)
            insert_now(child, actor, using=using)
        return
    _prepare_now(parent, actor, reason)
    for child, _name in children:
        _prepare_now(child, actor, "")
    meta = parent._meta
    parent_fields = _insert_fields(parent)
    params = _values(connection, parent_fields, [parent])[0]
    parts = [(meta.db_table, tuple(f.column for f in parent_fields), None, meta.pk.column)]
    if parent_history is not None:
        # The history row copies the parent's id (its tracked primary key column).
        values = _history_values(connection, history_fields, [parent])[0]
        linked = None
        for index, field in enumerate(history_fields):
            if field.attname == meta.pk.attname:
                linked = index
            else:
                params.append(values[index])
        parts.append(
            (
                parent_history.model._meta.db_table,
                tuple(f.column for f in history_fields),
                linked,
                None,
            )
        )
    for child, name in children:
        fk = child._meta.get_field(name)
        fields = _insert_fields(child)
        linked = fields.index(fk)
        for index, field in enumerate(fields):
            if index != linked:
                params.append(field.get_db_prep_save(field.pre_save(child, True), connection))
        parts.append(
            (child._meta.db_table, tuple(f.column for f in fields), linked, child._meta.pk.column)
        )
    sql = _together_statement(connection, meta.pk.column, tuple(parts))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = cursor.fetchone()
    parent.pk = ids[0]
    _written(parent, using)
    for (child, name), child_id in zip(children, ids[1:], strict=True):
        setattr(child, name, parent)
        child.pk = child_id
        _written(child, using)
    rows_inserted.send(sender=type(parent), instances=[parent])
    for child, _name in children:
        rows_inserted.send(sender=type(child), instances=[child])


def _together_statement(connection, key: str, parts: tuple) -> str:
    cache_key = ("together", connection.vendor, key, parts)
    sql = _statements.get(cache_key)
    if sql is not None:
        return sql
    quote = connection.ops.quote_name
    ctes, selects = [], []
    for n, (table, columns, linked, returning) in enumerate(parts):
        values = [
            f"(SELECT {quote(key)} FROM w0)" if index == linked else "%s"
            for index in range(len(columns))
        ]
        names = ", ".join(quote(c) for c in columns)
        body = f"INSERT INTO {quote(table)} ({names}) VALUES ({', '.join(values)})"
        if returning:
            body += f" RETURNING {quote(returning)}"
            selects.append(f"(SELECT {quote(returning)} FROM w{n})")
        ctes.append(f"w{n} AS ({body})")
    sql = f"WITH {', '.join(ctes)} SELECT {', '.join(selects)}"
    _statements[cache_key] = sql
    return sql
