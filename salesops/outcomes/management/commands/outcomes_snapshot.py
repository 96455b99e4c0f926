"""``salesops outcomes_snapshot``: store one week's outcome metrics, or backfill every
week since go-live (what the weekly sweep and the settings page's button do)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from salesops.outcomes import services


class Command(BaseCommand):
    help = "Snapshot the outcome metrics of a week (default: the last complete one) or backfill."

    def add_arguments(self, parser):
        parser.add_argument("--week", help="a day of the week to snapshot (YYYY-MM-DD)")
        parser.add_argument(
            "--backfill",
            action="store_true",
            help="every week since go-live (and imported history)",
        )

    def handle(self, *args, week=None, backfill=False, **options):
        if backfill:
            result = services.backfill(progress=lambda i, n: self.stdout.write(f"  week {i} / {n}"))
            self.stdout.write(
                f"{result['weeks']} week(s), {result['rows']} row(s) in {result['seconds']} s"
            )
            return
        try:
            day = dt.date.fromisoformat(week) if week else services.last_complete_week()
        except ValueError:
            raise CommandError("--week: give a date as YYYY-MM-DD.") from None
        rows = services.snapshot_week(day)
        self.stdout.write(f"week of {day}: {rows} row(s)")
