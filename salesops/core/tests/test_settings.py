import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]


def _django_setup(env_overrides, code="print('ok')"):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SECRET_KEY", "DEBUG", "DATABASE_URL", "TESTING", "PYTEST_VERSION")
    }
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "salesops.settings"
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


STRONG_KEY = "k7Gx2-pQ9vLr_M4tZw8YbN1cHs6JdUe3Fa0iOo5KyXqRjT" + "Wm2nB"


def test_debug_is_off_unless_asked_for(tmp_path):
    show = "from django.conf import settings; print(settings.DEBUG)"
    assert _django_setup({"SALESOPS_VAR_DIR": str(tmp_path)}, show).stdout.strip() == "False"
    on = _django_setup({"SALESOPS_VAR_DIR": str(tmp_path), "DEBUG": "true"}, show)
    assert on.stdout.strip() == "True", on.stderr


def test_without_a_secret_key_a_strong_one_is_generated_once_into_var(tmp_path):
    show = "from django.conf import settings; print(settings.SECRET_KEY)"
    first = _django_setup({"SALESOPS_VAR_DIR": str(tmp_path)}, show)
    assert first.returncode == 0, first.stderr
    key_file = tmp_path / "secret_key"
    key = first.stdout.strip()
    assert key_file.read_text().strip() == key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(key) >= 50 and len(set(key)) >= 20
    again = _django_setup({"SALESOPS_VAR_DIR": str(tmp_path)}, show)
    assert again.stdout.strip() == key
    other = _django_setup({"SALESOPS_VAR_DIR": str(tmp_path / "elsewhere")}, show)
    assert other.stdout.strip() not in ("", key)


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("x", "fewer than 50"),
        ("correct-horse-battery-staple", "fewer than 50"),
        ("ab" * 30, "distinct characters"),
        ("dev-only-insecure-key-change-me", "development key"),
        ("django-insecure-" + STRONG_KEY, "development key"),
    ],
)
def test_weak_secret_keys_are_refused_with_debug_off(tmp_path, key, reason):
    result = _django_setup({"SECRET_KEY": key, "SALESOPS_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY is too weak to run with DEBUG off" in result.stderr
    assert reason in result.stderr
    debug = _django_setup({"SECRET_KEY": key, "DEBUG": "true", "SALESOPS_VAR_DIR": str(tmp_path)})
    assert debug.returncode == 0, debug.stderr


def test_production_starts_with_a_strong_secret_key(tmp_path):
    result = _django_setup({"SECRET_KEY": STRONG_KEY, "SALESOPS_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
    assert not (tmp_path / "secret_key").exists()


def test_https_settings_are_off_on_plain_http_and_driven_by_the_environment(tmp_path):
    show = (
        "from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, "
        "getattr(s, 'SECURE_PROXY_SSL_HEADER', None))"
    )
    plain = _django_setup({"SALESOPS_VAR_DIR": str(tmp_path)}, show)
    assert plain.stdout.split() == ["False", "False", "0", "False", "None"], plain.stderr
    https = _django_setup(
        {
            "SALESOPS_VAR_DIR": str(tmp_path),
            "HTTPS_COOKIES": "true",
            "SECURE_HSTS_SECONDS": "31536000",
            "SECURE_SSL_REDIRECT": "true",
            "SECURE_PROXY_SSL_HEADER": "true",
        },
        show,
    )
    assert https.stdout.strip() == (
        "True True 31536000 True ('HTTP_X_FORWARDED_PROTO', 'https')"
    ), https.stderr


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
