"""Django's SQLite backend, with writers queued on a file lock instead of SQLite's
busy-wait.

SQLite lets one transaction write at a time. A second writer that finds the database
locked is put to sleep by SQLite's busy handler, for 1, 2, 5, 10 … up to 100 ms between
tries, whatever the moment the lock is freed: under concurrent intake the writers spend
most of their time asleep, the database sits idle between them, and the slowest
requests wait for seconds (measured by bench/intake.py).

This backend takes an exclusive ``flock`` on ``<database>.writelock`` before it begins a
transaction (``BEGIN IMMEDIATE``: every ``transaction.atomic`` block) and lets it go at
commit or rollback. The kernel wakes the next waiting process or thread as soon as the
lock is released, so the write transactions follow one another without gaps. The SQLite
lock still guards the data; the file lock only orders who asks for it. Single
statements outside a transaction do not take the file lock (SQLite's own lock and busy
handler serve them as before).

Only for database files: an in-memory database (the test suite's) has one connection
and nothing to queue; where ``fcntl`` does not exist (Windows) the backend behaves like
Django's.
"""

from __future__ import annotations

import os

from django.db.backends.sqlite3 import base, operations

from salesops.core import appendonly

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        """A flush stands the append-only tables' delete triggers aside (core.appendonly)."""
        statements = super().sql_flush(
            style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        return appendonly.flush_sql(self.quote_name, tables, statements)


class DatabaseWrapper(base.DatabaseWrapper):
    """SQLite whose write transactions queue on a file lock (see the module docstring)."""

    ops_class = DatabaseOperations

    _lock_fd: int | None = None
    _lock_pid: int | None = None
    _lock_held = False

    def _lock_path(self) -> str | None:
        name = str(self.settings_dict.get("NAME") or "")
        if fcntl is None or not name or self.is_in_memory_db():
            return None
        return f"{name}.writelock"

    def _acquire_write_lock(self) -> None:
        path = self._lock_path()
        if path is None:
            return
        if self._lock_fd is None or self._lock_pid != os.getpid():
            # A descriptor inherited across fork() shares its lock with the parent:
            # every process opens its own.
            self._lock_fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._lock_pid = os.getpid()
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        self._lock_held = True

    def _release_write_lock(self) -> None:
        if self._lock_held:
            self._lock_held = False
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _start_transaction_under_autocommit(self):
        self._acquire_write_lock()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_write_lock()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_write_lock()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_write_lock()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._release_write_lock()
            if self._lock_fd is not None and self._lock_pid == os.getpid():
                os.close(self._lock_fd)
            self._lock_fd = None
