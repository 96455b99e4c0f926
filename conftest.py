"""Project-wide pytest fixtures: an organisation tree and users for every role."""

import pytest

# The real server (`salesops run` as a subprocess) for tests where WSGI matters.
# Caches off by default, on where a test guards them (``config_cache_on``).
pytest_plugins = [
    "salesops.core.tests.realserver",
    "salesops.core.tests.caching",
    "salesops.core.tests.seeds",  # seeded rows back after a flushing test
]


@pytest.fixture(scope="session")
def django_db_modify_db_settings_xdist_suffix(request):
    """pytest-django's, for our SQLite engine too. pytest-django gives each xdist worker
    its own test database by a suffix on its name, except for SQLite's in-memory one,
    which it knows only by Django's engine name: with ours (salesops.core.sqlite) it
    would name a file after the path of var/salesops.sqlite3. ``":memory:"`` is what
    Django uses when the name is unset (one in-memory database per process), so say so."""
    from django.conf import settings
    from pytest_django.fixtures import _set_suffix_to_test_databases

    for db in settings.DATABASES.values():
        if db["ENGINE"] == "salesops.core.sqlite" and not db.get("TEST", {}).get("NAME"):
            db.setdefault("TEST", {})["NAME"] = ":memory:"
    worker = getattr(request.config, "workerinput", {}).get("workerid")
    if worker:
        _set_suffix_to_test_databases(suffix=worker)


@pytest.fixture(autouse=True, scope="session")
def _files_in_a_temporary_directory(tmp_path_factory):
    """Uploads and deal evidence go to this run's (this worker's) temporary directory,
    never to the checkout's var/, which parallel workers and runs would share."""
    from django.test import override_settings

    root = tmp_path_factory.mktemp("files")
    with override_settings(MEDIA_ROOT=str(root / "media"), EVIDENCE_ROOT=root / "evidence"):
        yield


@pytest.fixture(autouse=True)
def _english_by_default(settings):
    """Tests read messages in English unless they switch; zh-Hans stays the product default."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def org(db):
    """A small organisation::

    company (director)
    ├── East 华东 (manager_east) ── reps: rep_a, rep_b
    │     └── Shanghai group (manager_sh) ── rep: rep_c
    └── South 华南 (manager_south) ── rep: rep_d
    plus admin, finance, cs users at company level.
    """
    from salesops.org.tests.factories import build_org

    return build_org()


@pytest.fixture
def database_file(transactional_db, tmp_path):
    """The test database where a second connection, in a forked process, sees it and its
    committed data (core.writebehind's child): on SQLite, the in-memory test database is
    copied to a file that the default connection then uses for the test; on PostgreSQL,
    the test database itself (``transactional_db``: every write commits)."""
    import sqlite3

    from django.db import connections

    connection = connections["default"]
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        yield None
        return
    connection.ensure_connection()
    memory, name = connection.connection, connection.settings_dict["NAME"]
    path = tmp_path / "database.sqlite3"
    target = sqlite3.connect(path)
    memory.backup(target)
    target.close()
    connection.connection = None
    connection.settings_dict["NAME"] = str(path)
    try:
        yield path
    finally:
        connection.close()
        connection.settings_dict["NAME"] = name
        connection.connection = memory
