"""The rows the migrations seed (choice lists, policies …) survive a flush.

A ``transactional_db`` / ``live_server`` test (or ``django_db(transaction=True)``) ends
with a flush that empties every table, the migrations' seeded rows included. Run alone,
pytest-django orders those tests last, so no later test misses the rows; under
pytest-xdist a worker runs whole files in the order the scheduler hands them out, and a
test after a flush on the same worker would find no retry policy or choice list.

So: the seeded rows are read once per session (per worker) right after the test
database is made, and after each flushing test every model whose table the flush
emptied gets its seeded rows back. Models the flush's ``post_migrate`` refills (content
types, permissions) are left alone, which is also why this is not Django's
``serialized_rollback`` (that restores every row, clashing with the refilled ones).
"""

from __future__ import annotations

import pytest

_SEEDED: dict[str, str] = {}


def _flushes(item) -> bool:
    names = getattr(item, "fixturenames", ())
    if "transactional_db" in names or "live_server" in names:
        return True
    marker = item.get_closest_marker("django_db")
    return bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))


@pytest.fixture(scope="session", autouse=True)
def _seeded_rows(django_db_setup, django_db_blocker):
    from django.apps import apps
    from django.core import serializers

    with django_db_blocker.unblock():
        for model in apps.get_models():
            manager = model._base_manager
            if model._meta.proxy or not manager.exists():
                continue
            _SEEDED[model._meta.label] = serializers.serialize("json", manager.order_by("pk"))
    yield


def _reseed() -> None:
    from django.apps import apps
    from django.core import serializers
    from django.db import connection, transaction

    with transaction.atomic(), connection.constraint_checks_disabled():
        for label, data in _SEEDED.items():
            if apps.get_model(label)._base_manager.exists():
                continue
            for obj in serializers.deserialize("json", data):
                obj.save()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    yield
    # After the session's last test the test database is gone with its fixtures.
    if _SEEDED and nextitem is not None and _flushes(item):
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            _reseed()
