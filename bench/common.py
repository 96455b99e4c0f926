"""Helpers shared by the benchmarks: Django set-up on the bench's own database,
percentiles, machine facts and the result file.

Every benchmark is a plain script (``.venv/bin/python bench/<name>.py``). It points Django
at its own database — never the working one — runs with ``DEBUG=false`` (production
behaviour: no SQL logging, no debug templates), writes ``bench/results/<name>-<db>.json``
and prints one summary line.
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def setup_django(default_db: str) -> str:
    """Configure and start Django on the benchmark's database; returns its URL.

    ``BENCH_DATABASE_URL`` overrides ``default_db`` (e.g. a PostgreSQL database of your
    own: ``postgres://postgres@127.0.0.1:5432/bench_pages``).
    """
    url = os.environ.get("BENCH_DATABASE_URL") or default_db
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesops.settings")
    os.environ.setdefault("DEBUG", "false")
    # A strong throw-away key per run: with DEBUG off a weak one is refused (settings).
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(64))
    os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
    os.environ.setdefault("CSRF_COOKIE_SECURE", "false")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    return url


def percentile(values, p: float) -> float:
    """The ``p``-th percentile (0–100) with linear interpolation between samples."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of no values")
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def timed(fn, *args, **kwargs):
    """``(result, milliseconds)`` of one call."""
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, (time.perf_counter() - start) * 1000


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def db_vendor() -> str:
    from django.db import connection

    return connection.vendor


def db_version() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        return cursor.fetchone()[0].split(" on ")[0]


def cpu_probe_ms(rounds: int = 3) -> float:
    """The best of ``rounds`` timings of a fixed pure-Python workload (ms). On a shared
    machine the same code runs up to ~1.7× slower at some moments than at others; this
    figure, taken with every result, tells the runs apart (lower is faster)."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        total = 0
        for i in range(300_000):
            total += i * i % 7
        json.dumps([{"n": i, "s": str(i)} for i in range(20_000)])
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 1)


def machine_info() -> dict:
    import django

    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "db_vendor": db_vendor(),
        "db_version": db_version(),
        "platform": platform.platform(),
        # Other work on the machine inflates the tail latencies; keep it beside them.
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "cpu_probe_ms": cpu_probe_ms(),
    }


def _flat(figures: dict, prefix: str = "") -> list[str]:
    out = []
    for key, value in figures.items():
        if isinstance(value, dict):
            out += _flat(value, f"{prefix}{key}.")
        elif isinstance(value, float):
            out.append(f"{prefix}{key}={value:.1f}")
        elif isinstance(value, int | str | bool) and len(str(value)) < 40:
            out.append(f"{prefix}{key}={value}")
    return out


def write_result(name: str, figures: dict, *, summary: str | None = None) -> Path:
    """Write ``bench/results/<name>-<db vendor>.json`` and print a one-line summary
    (``summary`` if given, otherwise the scalar figures)."""
    from salesops.core import clock

    RESULTS.mkdir(parents=True, exist_ok=True)
    vendor = db_vendor()
    path = RESULTS / f"{name}-{vendor}.json"
    document = {
        "benchmark": name,
        "measured_at": clock.now().isoformat(timespec="seconds"),
        "machine": machine_info(),
        "figures": figures,
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    line = summary or ", ".join(_flat(figures))
    probe = document["machine"]["cpu_probe_ms"]
    print(f"{name} [{vendor}]: {line}; cpu probe {probe} ms  → {path.relative_to(ROOT)}")
    return path


def read_result(name: str) -> dict | None:
    """The last result of ``name`` on the current database vendor, if any."""
    path = RESULTS / f"{name}-{db_vendor()}.json"
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def read_meta(table: str):
    """``(version, scale, seconds)`` of a benchmark's built data set, or None when the
    database holds no such table (not built by this benchmark)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if table not in connection.introspection.table_names(cursor):
            return None
        cursor.execute(f"SELECT version, scale, seconds FROM {table}")  # noqa: S608
        return cursor.fetchone()


def write_meta(table: str, version: str, scale: float, seconds: float) -> None:
    """Record that this database holds the data set ``version`` at ``scale``."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {table} (version varchar(10), scale real, seconds real)")
        cursor.execute(
            f"INSERT INTO {table} VALUES (%s, %s, %s)",  # noqa: S608
            [version, scale, seconds],
        )
