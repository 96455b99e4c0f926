"""Write-behind: a bulk writer's batches written by a child process while this process
decides the next one, so a large import uses both cores.

A batch import spends about half its time deciding (validation, de-duplication, routing:
Python, one core) and half writing (building rows, the database's inserts, the report,
the commit). Inside :func:`write_behind` the writer still decides batch after batch, but
what a batch writes is handed to a child process, forked with the job's state, that
writes it in one transaction on its own connection and dispatches its events after the
commit, while this process decides the next batch. At most one batch is in flight:
:meth:`WriteBehind.send` waits for the previous batch's answer before it hands on the
next, and re-raises the child's error (:class:`WriteBehindError`) so the job stops there;
batches already answered stay committed, as the engine's batches always did.

What a batch holds, in order (:class:`Batch`):

* the new rows a :class:`~salesops.core.unitofwork.UnitOfWork` queued: inside the
  block, :func:`unitofwork.deferred` yields a capturing unit whose ``flush`` hands the
  rows (each model instance's field values, its history user and reason) and the held
  events to the batch instead of the database; the child writes them with the same
  inserts (:func:`unitofwork.write_rows`) and then dispatches the events;
* calls (:meth:`WriteBehind.call`): a module-level function and its arguments, run in
  the child's transaction in their place (the routing counts, the import's report rows).

The deciding process writes nothing itself meanwhile, and reads the database as it was
before the batches in flight: the writer keeps what those batches change in memory
(the leads it took in, the routing counts). The ids of new rows are reserved up front:
from the table's sequence on PostgreSQL (as the unit of work always does), past the
highest id on SQLite by moving ``sqlite_sequence`` on, in one short transaction, so that
no other writer takes them.

Only where a second connection sees the same data: a database file or server, outside a
transaction (:func:`available`); the test suite's in-memory database and any block inside
``transaction.atomic`` write as before. The child is forked (the job's settings, caches
and language come with it); the parent's connections are closed first and the child
opens its own through new connection wrappers (:func:`_own_connections`), so the two
never share one.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import traceback
from collections.abc import Callable, Iterator
from types import SimpleNamespace

from django.db import connections, transaction
from django.db.models.base import ModelState

from . import configcache, history, unitofwork


class WriteBehindError(RuntimeError):
    """The child could not write a batch (the message carries its traceback)."""


def available(using: str = "default") -> bool:
    connection = connections[using]
    if connection.vendor not in ("sqlite", "postgresql") or connection.in_atomic_block:
        return False
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        return False
    return "fork" in multiprocessing.get_all_start_methods()


def active() -> WriteBehind | None:
    return unitofwork.behind()


class Batch:
    """What the child writes in one transaction: ``steps`` in order, then ``events``."""

    def __init__(self):
        self.steps: list[tuple] = []
        self.events: list[tuple] = []

    def __bool__(self) -> bool:
        return bool(self.steps or self.events)


# A row's own attributes the child needs besides its fields: the history's.
_KEPT_PRIVATE = ("_change_reason", "_history_date")


def _state(instance) -> dict:
    """The instance's field values and history reason, without its caches."""
    data = {k: v for k, v in instance.__dict__.items() if k[0] != "_" or k in _KEPT_PRIVATE}
    user = getattr(instance, "_history_user", None)
    data["_history_user"] = getattr(user, "pk", user)
    return data


def _rebuild(model, data: dict):
    instance = model.__new__(model)
    instance.__dict__.update(data)
    user = data.get("_history_user")
    instance._history_user = SimpleNamespace(pk=user) if user is not None else None
    instance._state = ModelState()
    return instance


class CapturingUnit(unitofwork.UnitOfWork):
    """A unit of work whose flush hands its rows and events to the write-behind batch."""

    def __init__(self, behind: WriteBehind):
        super().__init__(behind.using)
        self.behind = behind

    def _reserve(self, model) -> Iterator[int]:
        return self.behind.ids(model, super()._reserve)

    def flush(self) -> None:
        rows, events = self.rows, self.events
        self.rows, self.events, self._queued = {}, [], set()
        batch = self.behind.batch
        for model, instances in rows.items():
            if instances:
                batch.steps.append(("rows", model, [_state(i) for i in instances]))
                for instance in instances:
                    instance._state.adding = False
                    instance._state.db = self.using
        batch.events.extend(events)


class WriteBehind:
    def __init__(self, using: str, reserve: int):
        self.using = using
        self.reserve = max(reserve, 1)
        self.batch = Batch()
        self._ids: dict[type, Iterator[int]] = {}
        self._pipe = None
        self._process = None
        self._in_flight = False

    # --- ids -------------------------------------------------------------------------------

    def unit(self) -> CapturingUnit:
        return CapturingUnit(self)

    def ids(self, model, fallback: Callable) -> Iterator[int]:
        """Ids for new ``model`` rows no one else takes: PostgreSQL's sequence (the unit's
        own reservation); on SQLite, blocks of ``reserve`` ids past the highest, each
        claimed in ``sqlite_sequence`` by one short transaction (a second claim, if a run
        needs one, waits for the batch in flight)."""
        if connections[self.using].vendor != "sqlite":
            return fallback(model)
        if model not in self._ids:
            self._ids[model] = self._sqlite_ids(model)
        return self._ids[model]

    def _sqlite_ids(self, model) -> Iterator[int]:
        while True:
            yield from self._claim(model)

    def _claim(self, model) -> range:
        connection = connections[self.using]
        table, column = model._meta.db_table, model._meta.pk.column
        quote = connection.ops.quote_name
        with transaction.atomic(using=self.using), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT max(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0),"
                f" COALESCE((SELECT max({quote(column)}) FROM {quote(table)}), 0))",
                [table],
            )
            first = cursor.fetchone()[0] + 1
            last = first + self.reserve - 1
            cursor.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [last, table])
            if cursor.rowcount == 0:
                cursor.execute(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, last]
                )
        return range(first, last + 1)

    # --- batches -----------------------------------------------------------------------------

    def call(self, function: Callable, *args) -> None:
        """Run ``function(*args)`` in the child, in this batch's transaction, in order."""
        self.batch.steps.append(("call", function, args))

    def send(self) -> None:
        """Hand the batch to the child (after the previous one's answer)."""
        self._wait()
        if not self.batch:
            return
        batch, self.batch = self.batch, Batch()
        self._pipe.send((history._SOURCE.get(), batch))
        self._in_flight = True

    def drain(self) -> None:
        """Send what is queued and wait until the child has written everything."""
        self.send()
        self._wait()

    def _wait(self) -> None:
        if not self._in_flight:
            return
        self._in_flight = False
        try:
            error = self._pipe.recv()
        except EOFError:  # the child died without answering (killed, out of memory)
            self._process.join(10)
            error = f"the writer process ended (exit code {self._process.exitcode})"
        if error is not None:
            raise WriteBehindError(error)

    @contextlib.contextmanager
    def paused(self):
        """Write in this process again within the block (after :meth:`drain`)."""
        self.drain()
        token = unitofwork.set_behind(None)
        try:
            yield
        finally:
            unitofwork.reset_behind(token)

    # --- the child ---------------------------------------------------------------------------

    def start(self) -> None:
        # Neither process may use a connection the other holds: this one reconnects.
        connections.close_all()
        context = multiprocessing.get_context("fork")
        self._pipe, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, self.using), daemon=True)
        self._process.start()
        child.close()

    def stop(self) -> None:
        try:
            self._pipe.send(None)
        except (BrokenPipeError, OSError):
            pass
        self._process.join(timeout=60)
        if self._process.is_alive():  # pragma: no cover - a child stuck in the database
            self._process.terminate()
        self._pipe.close()


# The connection wrappers the child inherited: kept, never used and never finalised.
_INHERITED: list = []


def _own_connections() -> None:
    """Give the child a new connection wrapper for every database alias.

    ``connections`` finds a thread's wrappers in a thread-local store, except while an
    asyncio loop runs in the thread (Playwright's sync API, an async view calling sync
    code): then it uses a context-variable store beside it. A forked child runs no
    loop (asyncio ties the running loop to the process id), so it would look in the
    other store and find a wrapper the parent left there, with its connection still
    open: a copy of the parent's socket (PostgreSQL: both processes talking over it) or
    of a connection to another database (the test suite's in-memory one). Each alias
    gets a fresh wrapper; the inherited ones stay referenced so that they are never
    closed here (closing would end the parent's session)."""
    for alias in connections:
        _INHERITED.append(connections[alias])
        connections[alias] = connections.create_connection(alias)


def _serve(pipe, using: str) -> None:
    """The child: write each batch in one transaction, answer None or the error."""
    # The collector's full passes here skip what the child inherited (the file's rows,
    # the run's caches): walking them cost time and copied the parent's pages. Measured
    # on bench/imports.py (100,000 rows, SQLite): the writer's CPU 18.8 s without,
    # 14.7 s with; the commit 3,812 against 4,633 rows/s. The child's own garbage is
    # collected as usual.
    gc.freeze()
    _own_connections()
    try:
        while True:
            message = pipe.recv()
            if message is None:
                break
            source, batch = message
            try:
                _write(batch, source, using)
            except BaseException:  # noqa: BLE001 - the parent reports it and stops the job
                pipe.send(traceback.format_exc())
                break
            pipe.send(None)
    finally:
        connections.close_all()


def _write(batch: Batch, source: str, using: str) -> None:
    connection = connections[using]
    with history.source(source), configcache.steady():
        with transaction.atomic(using=using):
            for step in batch.steps:
                if step[0] == "rows":
                    _kind, model, states = step
                    unitofwork.write_rows(connection, model, [_rebuild(model, s) for s in states])
                else:
                    _kind, function, args = step
                    function(*args)
        unitofwork.dispatch_all(batch.events)


@contextlib.contextmanager
def write_behind(*, reserve: int, using: str = "default"):
    """A :class:`WriteBehind` for the block, or None where it is not :func:`available`.
    ``reserve``: how many new rows per model the block may write (SQLite's ids)."""
    if not available(using):
        yield None
        return
    behind = WriteBehind(using, reserve)
    behind.start()
    token = unitofwork.set_behind(behind)
    failed = False
    try:
        yield behind
        behind.drain()
    except BaseException:
        failed = True
        raise
    finally:
        unitofwork.reset_behind(token)
        if failed:
            with contextlib.suppress(WriteBehindError):
                behind._wait()
        behind.stop()
