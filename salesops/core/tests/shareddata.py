"""Data built once for a module or a class of tests, rolled back after its last test.

Some tests only read a large data set (the demo organisation: 500 accounts, 1,500
contacts, contracts …). Building it for each of them is most of their time. A
module- or class-scoped fixture can build it once inside an outer transaction; each
test then runs in its own savepoint inside it (pytest-django's ``db``, as for any test),
so what a test writes is still rolled back after it, and the outer transaction is rolled
back after the last test of the scope: the next module starts from the empty database::

    @pytest.fixture(scope="class")
    def small_once(django_db_setup, django_db_blocker):
        with shared_data(django_db_blocker):
            yield build("small")

    @pytest.fixture
    def small(small_once, db):   # what the tests ask for
        return small_once

The data is built with the settings every test starts with (root conftest and
``caching``: English, the configuration caches off) and every process cache is emptied
after the rollback, so no value of the rolled-back data survives it.

Only for tests with the plain ``db`` fixture: a ``transactional_db`` or ``live_server``
test flushes the tables, so it must not share the scope of such data. Under xdist
(`make test-only`: ``--dist loadfile``) a file's tests run on one worker, so the data is
built once per file, not once per worker.
"""

from __future__ import annotations

from contextlib import contextmanager

from .caching import KEYS, empty_process_caches


@contextmanager
def default_test_settings():
    """The settings the autouse fixtures give every test (English, caches off)."""
    from django.conf import settings
    from django.test import override_settings

    from salesops.core import orgsettings

    salesops = {
        **settings.SALESOPS,
        **dict.fromkeys(KEYS, 0.0),
        "ORG_SETTINGS_CACHE_SECONDS": 3600.0,
    }
    with override_settings(LANGUAGE_CODE="en", SALESOPS=salesops):
        orgsettings.cache.clear_local()
        try:
            yield
        finally:
            orgsettings.cache.clear_local()


@contextmanager
def shared_data(django_db_blocker):
    """An outer transaction for every test of the scope, rolled back at its end."""
    from django.db import transaction

    from salesops.core import orgsettings

    with django_db_blocker.unblock():
        try:
            with transaction.atomic():
                try:
                    with default_test_settings():
                        yield
                finally:
                    transaction.set_rollback(True)
        finally:
            empty_process_caches()
            orgsettings.cache.clear_local()
