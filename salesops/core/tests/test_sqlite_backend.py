"""The SQLite backend queues write transactions on a file lock (salesops/core/sqlite)."""

import threading
import time

import pytest
from django.db import connection

from salesops.core.sqlite.base import DatabaseWrapper, fcntl

pytestmark = pytest.mark.skipif(fcntl is None, reason="needs fcntl (POSIX)")


@pytest.fixture(autouse=True)
def _own_databases(django_db_blocker):
    """These tests open their own database files, outside the test database."""
    with django_db_blocker.unblock():
        yield


def _wrapper(path, alias):
    settings = {
        **connection.settings_dict,
        "ENGINE": "salesops.core.sqlite",
        "NAME": str(path),
        # A busy timeout far shorter than the first writer holds the lock: without the
        # file lock the second writer fails with "database is locked".
        "OPTIONS": {"timeout": 0.05, "transaction_mode": "IMMEDIATE"},
        "CONN_MAX_AGE": 0,
    }
    return DatabaseWrapper(settings, alias=alias)


def _begin(db):
    db.ensure_connection()
    db.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


def _commit(db):
    db.commit()
    db.set_autocommit(True)


def test_a_second_writer_waits_for_the_first_to_commit_instead_of_failing(tmp_path):
    # given a database file and a first writer holding a write transaction
    path = tmp_path / "db.sqlite3"
    first, second = _wrapper(path, "first"), _wrapper(path, "second")
    first.ensure_connection()
    with first.cursor() as cursor:
        cursor.execute("CREATE TABLE t (n INTEGER)")
    _begin(first)
    with first.cursor() as cursor:
        cursor.execute("INSERT INTO t VALUES (1)")
    outcome = {}

    def write():
        second.inc_thread_sharing()
        try:
            _begin(second)
            with second.cursor() as cursor:
                cursor.execute("INSERT INTO t VALUES (2)")
                cursor.execute("SELECT n FROM t ORDER BY n")
                outcome["rows"] = [n for (n,) in cursor.fetchall()]
            _commit(second)
        except Exception as exc:  # noqa: BLE001 - reported below
            outcome["error"] = exc

    # when a second writer starts and the first commits after several busy timeouts
    thread = threading.Thread(target=write)
    thread.start()
    time.sleep(0.3)
    assert thread.is_alive()  # still queued on the file lock
    _commit(first)
    thread.join(timeout=10)
    # then the second wrote after the first, and saw its row
    assert outcome == {"rows": [1, 2]}
    first.close()
    second.close()


def test_a_rolled_back_transaction_lets_the_next_writer_in(tmp_path):
    # given a first writer that wrote a row and then rolled its transaction back
    path = tmp_path / "db.sqlite3"
    first, second = _wrapper(path, "first"), _wrapper(path, "second")
    first.ensure_connection()
    with first.cursor() as cursor:
        cursor.execute("CREATE TABLE t (n INTEGER)")
    _begin(first)
    with first.cursor() as cursor:
        cursor.execute("INSERT INTO t VALUES (1)")
    first.rollback()
    first.set_autocommit(True)
    outcome = {}

    def write():
        second.inc_thread_sharing()
        try:
            _begin(second)  # blocks on the file lock if the rollback kept it
            with second.cursor() as cursor:
                cursor.execute("INSERT INTO t VALUES (2)")
                cursor.execute("SELECT n FROM t ORDER BY n")
                outcome["rows"] = [n for (n,) in cursor.fetchall()]
            _commit(second)
        except Exception as exc:  # noqa: BLE001 - reported below
            outcome["error"] = exc

    # when a second writer starts (in a thread, so a kept lock fails the test, not hangs it)
    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    thread.join(timeout=5)
    # then it got the lock at once and sees only its own row (the first's was undone)
    assert not thread.is_alive(), "the rolled-back writer still holds the write lock"
    assert outcome == {"rows": [2]}
    first.close()
    second.close()


def test_in_memory_databases_take_no_file_lock():
    db = _wrapper(":memory:", "memory")
    assert db._lock_path() is None
