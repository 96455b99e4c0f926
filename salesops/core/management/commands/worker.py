"""``salesops worker``: the Huey consumer (runs queued tasks and the per-minute sweeps)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the background worker (Huey consumer with the periodic sweeps)."

    def add_arguments(self, parser):
        parser.add_argument("-w", "--workers", type=int, default=2)

    def handle(self, *args, workers=2, **options):
        call_command("run_huey", workers=workers, worker_type="thread")
