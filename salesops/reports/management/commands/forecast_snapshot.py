"""``salesops forecast_snapshot [--date YYYY-MM-DD]``: store the forecast snapshot of a day
(the worker takes one every Monday by itself; taking a day twice changes nothing)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from salesops.reports.forecast_snapshots import take_snapshot


class Command(BaseCommand):
    help = "Store the forecast of every rep's open deals per close month (default: today)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="the snapshot day, YYYY-MM-DD (default: today)")

    def handle(self, *args, date=None, **options):
        day = None
        if date:
            try:
                day = dt.date.fromisoformat(date)
            except ValueError:
                raise CommandError(f"--date: {date!r} is not a date (YYYY-MM-DD)") from None
        written = take_snapshot(on=day)
        if written is None:
            self.stdout.write("forecast snapshot: taken already for that day")
        else:
            self.stdout.write(f"forecast snapshot: {written} row(s)")
