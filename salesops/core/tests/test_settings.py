import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]


def _django_setup(env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG", "DATABASE_URL")}
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "salesops.settings"
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('ok')"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _django_setup({"DEBUG": "false", "SALESOPS_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG=false" in result.stderr


def test_production_starts_with_a_secret_key(tmp_path):
    result = _django_setup(
        {"DEBUG": "false", "SECRET_KEY": "x" * 50, "SALESOPS_VAR_DIR": str(tmp_path)}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(settings):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite-specific")
    # The test database is in memory (WAL does not apply there); check the configuration
    # that the file database gets, then that a file database really opens in WAL mode.
    options = settings.DATABASES["default"]["OPTIONS"]
    assert "journal_mode=WAL" in options["init_command"]
    assert options["timeout"] >= 5
    assert options["transaction_mode"] == "IMMEDIATE"


def test_a_file_database_opens_in_wal_mode(tmp_path):
    db = tmp_path / "wal.sqlite3"
    code = (
        "import django; django.setup();"
        "from django.db import connection;"
        "c = connection.cursor(); c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])"
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "salesops.settings",
            "DATABASE_URL": f"sqlite:///{db}",
            "SALESOPS_VAR_DIR": str(tmp_path),
        }
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "wal"


def _redis_available() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_available(), reason="no Redis on 127.0.0.1:6379")
def test_redis_url_moves_the_queue_and_cache_to_redis(tmp_path):
    code = (
        "import django; django.setup();"
        "from huey.contrib.djhuey import HUEY;"
        "from django.core.cache import cache;"
        "HUEY.storage.flush_queue();"
        "HUEY.storage.enqueue(b'probe'); print(type(HUEY).__name__, HUEY.storage.queue_size());"
        "HUEY.storage.flush_queue();"
        "cache.set('salesops-probe', 'x'); print(cache.get('salesops-probe'))"
    )
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "salesops.settings",
            "SALESOPS_VAR_DIR": str(tmp_path),
            "REDIS_URL": "redis://127.0.0.1:6379/15",
            "TESTING": "false",
        }
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["RedisHuey", "1", "x"]


def test_without_redis_the_queue_lives_in_sqlite_under_var(tmp_path):
    code = "import django; django.setup(); from huey.contrib.djhuey import HUEY; print(type(HUEY).__name__, HUEY.storage.filename)"
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update({"DJANGO_SETTINGS_MODULE": "salesops.settings", "SALESOPS_VAR_DIR": str(tmp_path)})
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["SqliteHuey", str(tmp_path / "huey.sqlite3")]
