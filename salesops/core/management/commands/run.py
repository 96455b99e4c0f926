"""``salesops run``: the web server and the worker together, for one machine.

The web server is waitress by default (a production WSGI server in pure Python, one
process with ``--threads`` threads; static files via WhiteNoise). ``--server gunicorn``
runs gunicorn instead, as a child process with ``--workers`` processes of ``--threads``
threads each: Python runs one thread at a time per process, so several processes use
several cores. The worker runs as a child process too. Ctrl-C or SIGTERM stops them all.
"""

import os
import signal
import subprocess
import sys

from django.core.management.base import BaseCommand, CommandError


def default_workers() -> int:
    """``WEB_CONCURRENCY`` if set, else the usual 2 × cores + 1, at most 12."""
    if os.environ.get("WEB_CONCURRENCY"):
        return int(os.environ["WEB_CONCURRENCY"])
    return min(2 * (os.cpu_count() or 1) + 1, 12)


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
        parser.add_argument("--server", choices=["waitress", "gunicorn"], default="waitress")
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="gunicorn processes (default: WEB_CONCURRENCY, else 2 × cores + 1, at most 12).",
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

                from salesops.wsgi import application

                self.stdout.write(f"SalesOps at http://{host}:{port}/  (Ctrl-C to stop)")
                serve(application, host=host, port=port, threads=threads or 8, ident="SalesOps")
        except KeyboardInterrupt:
            pass
        finally:
            _stop(web)
            _stop(worker, signal.SIGINT)
