"""The real server, as ``salesops run`` starts it, for tests where WSGI matters.

Django's test client calls the application directly; a real WSGI server (gunicorn,
waitress) checks headers (PEP 3333), bodies and connections on its own. These fixtures
start ``python -m salesops.cli run --no-worker --port <free>`` from this checkout as a
subprocess against a throw-away SQLite database, migrated once per test session, in a
temporary ``SALESOPS_VAR_DIR`` (so the SECRET_KEY is generated there, as on a new install).
The environment is the test run's minus DEBUG, SECRET_KEY, DATABASE_URL and TESTING:
the server runs with the shipped defaults unless a test passes ``env``.

Use them from any test module (the root conftest registers this file as a plugin)::

    def test_something(real_server):            # the default server, one per session
        status, headers, body = real_server.request("GET", "/healthz")

    def test_waitress(real_server_factory):     # any other; stopped at the end of the session
        server = real_server_factory("--server", "waitress", env={"LOG_LEVEL": "WARNING"})

The servers do not share the test database: create what they need through their HTTP API,
or in the var dir's database (``server.database``) with a subprocess.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
# Variables of the test run the server must not inherit: it runs as shipped.
_DROPPED = ("DEBUG", "SECRET_KEY", "DATABASE_URL", "TESTING", "HUEY_IMMEDIATE", "PYTEST_VERSION")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_environment(var_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["SALESOPS_VAR_DIR"] = str(var_dir)
    env["DATABASE_URL"] = f"sqlite:///{var_dir / 'salesops.sqlite3'}"
    env["WEB_CONCURRENCY"] = "2"  # enough to be a real pre-fork server, light on CI
    env.update(extra or {})
    return env


def salesops_command(var_dir: Path, *args: str, env: dict[str, str] | None = None, timeout=300):
    """Run ``python -m salesops.cli ARGS`` from this checkout against ``var_dir``."""
    return subprocess.run(
        [sys.executable, "-m", "salesops.cli", *args],
        cwd=ROOT,
        env=server_environment(var_dir, env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class RealServer:
    """One ``salesops run`` subprocess; ``request`` talks HTTP/1.1 to it."""

    def __init__(self, var_dir: Path, args: tuple[str, ...], env: dict[str, str] | None):
        self.var_dir = var_dir
        self.database = var_dir / "salesops.sqlite3"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = var_dir / f"server-{self.port}.log"
        command = [
            *(sys.executable, "-m", "salesops.cli", "run", "--no-worker"),
            *("--host", "127.0.0.1", "--port", str(self.port), *args),
        ]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=server_environment(var_dir, env),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_until_ready()

    def _wait_until_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited ({self.process.returncode}):\n{self.output}")
            try:
                status, _, _ = self.request("GET", "/healthz", timeout=5)
            except OSError:
                time.sleep(0.2)
                continue
            if status == 200:
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the server did not answer /healthz in {timeout:.0f} s:\n{self.output}")

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def request(self, method, path, body=None, headers=None, timeout=30):
        """``(status, headers as a lower-cased dict, body bytes)``."""
        if isinstance(body, dict | list):
            body = json.dumps(body).encode()
            headers = {"Content-Type": "application/json", **(headers or {})}
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            data = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        finally:
            connection.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        try:  # the web server child, should it have outlived its parent
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


@pytest.fixture(scope="session")
def real_server_var(tmp_path_factory) -> Path:
    """A var dir with a migrated SQLite database, shared by the session's real servers."""
    var_dir = tmp_path_factory.mktemp("realserver")
    result = salesops_command(var_dir, "migrate", "--noinput")
    assert result.returncode == 0, result.stdout + result.stderr
    return var_dir


@pytest.fixture(scope="session")
def real_server_factory(real_server_var):
    """Start ``salesops run --no-worker`` with extra arguments (and environment)."""
    started: list[RealServer] = []

    def start(*args: str, env: dict[str, str] | None = None) -> RealServer:
        server = RealServer(real_server_var, args, env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def real_server(real_server_factory) -> RealServer:
    """The default server, exactly as ``make run`` starts it (less the worker)."""
    return real_server_factory()
