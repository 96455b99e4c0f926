"""``salesops tick --now ISO``: run every registered sweep once as of that instant."""

from django.core.management.base import BaseCommand, CommandError

from salesops.core import clock, sweeps


class Command(BaseCommand):
    help = "Run every registered periodic sweep once, as of --now (default: the current time)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--now", help="ISO-8601 instant, e.g. 2026-11-23T10:00 (local time if no offset)"
        )

    def handle(self, *args, now=None, **options):
        moment = None
        if now:
            try:
                moment = clock.parse_instant(now)
            except ValueError as exc:
                raise CommandError(f"--now: {now!r} is not an ISO-8601 date-time ({exc})") from None
        results = sweeps.run_all(moment)
        stamp = (moment or clock.now()).isoformat()
        self.stdout.write(f"tick at {stamp}: {len(results)} sweep(s)")
        for name, summary in results:
            self.stdout.write(f"  {name}: {summary}")
