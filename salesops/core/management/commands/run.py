"""``salesops run``: the web server and the worker together, for one machine.

The web server is waitress (a production WSGI server in pure Python; static files via
WhiteNoise); the worker runs as a child process. Ctrl-C stops both.
"""

import os
import signal
import subprocess
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve SalesOps on --host:--port and run the background worker beside it."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--no-worker", action="store_true", help="Only serve web requests.")

    def handle(self, *args, host, port, threads, no_worker, **options):
        from waitress import serve

        from salesops.wsgi import application

        worker = None
        if not no_worker:
            worker = subprocess.Popen([sys.executable, "-m", "salesops.cli", "worker"])
            self.stdout.write(f"worker started (pid {worker.pid})")
        self.stdout.write(f"SalesOps at http://{host}:{port}/  (Ctrl-C to stop)")
        try:
            serve(application, host=host, port=port, threads=threads, ident="SalesOps")
        except KeyboardInterrupt:
            pass
        finally:
            if worker and worker.poll() is None:
                worker.send_signal(signal.SIGINT)
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()
