"""``salesops run``: the web server and the worker together, for one machine.

The web server is gunicorn by default, as a child process with ``--workers`` sync
processes of one thread each: Python runs one thread at a time per process, so several
processes use several cores, and a sync worker answers each request on a new connection
taken by the first free process (no client queues behind a busy one). The number of
processes is the one bench/intake.py measured fastest: as many as cores on SQLite (its
writers take turns on one lock, more processes only wait), two per core on PostgreSQL.
``--server waitress`` runs waitress instead (pure Python, one process with ``--threads``
threads; slower, 41–94 leads/s against 221–417 for gunicorn on the reference machine).
Static files are served by WhiteNoise either way. The worker runs as a child process too.
Ctrl-C or SIGTERM stops them all. DEBUG is off unless the environment says DEBUG=true.
"""

import os
import signal
import subprocess
import sys

from django.core.management.base import BaseCommand, CommandError
from django.core.wsgi import get_wsgi_application


def default_workers(engine: str | None = None) -> int:
    """``WEB_CONCURRENCY`` if set, else cores on SQLite and 2 × cores on PostgreSQL (at most 12)."""
    if os.environ.get("WEB_CONCURRENCY"):
        return int(os.environ["WEB_CONCURRENCY"])
    if engine is None:
        from django.conf import settings

        engine = settings.DATABASES["default"]["ENGINE"]
    cores = os.cpu_count() or 1
    return max(1, min(cores if "sqlite" in engine else 2 * cores, 12))


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _stop(process, sig=signal.SIGTERM) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Command(BaseCommand):
    help = "Serve SalesOps on --host:--port and run the background worker beside it."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--server",
            choices=["gunicorn", "waitress"],
            default=os.environ.get("SALESOPS_SERVER", "gunicorn"),
            help="gunicorn (default, several processes) or waitress (one process, threads).",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="gunicorn processes (default: WEB_CONCURRENCY, else cores on SQLite, "
            "2 × cores on PostgreSQL).",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=None,
            help="Threads per server process (default: 8 for waitress, 1 for gunicorn).",
        )
        parser.add_argument("--no-worker", action="store_true", help="Only serve web requests.")

    def handle(self, *args, host, port, server, workers, threads, no_worker, **options):
        signal.signal(signal.SIGTERM, _interrupt)
        worker = web = None
        try:
            if not no_worker:
                worker = subprocess.Popen([sys.executable, "-m", "salesops.cli", "worker"])
                self.stdout.write(f"worker started (pid {worker.pid})")
            if server == "gunicorn":
                command = [
                    *(sys.executable, "-m", "gunicorn", "salesops.wsgi:application"),
                    *("--bind", f"{host}:{port}"),
                    *("--workers", str(workers or default_workers())),
                    *("--threads", str(threads or 1)),
                ]
                web = subprocess.Popen(command)
                self.stdout.write(f"SalesOps at http://{host}:{port}/  (Ctrl-C to stop)")
                if web.wait():
                    raise CommandError(f"gunicorn exited with status {web.returncode}")
            else:
                from waitress import serve

                self.stdout.write(f"SalesOps at http://{host}:{port}/  (Ctrl-C to stop)")
                serve(
                    get_wsgi_application(),
                    host=host,
                    port=port,
                    threads=threads or 8,
                    ident="SalesOps",
                )
        except KeyboardInterrupt:
            pass
        finally:
            _stop(web)
            _stop(worker, signal.SIGINT)
