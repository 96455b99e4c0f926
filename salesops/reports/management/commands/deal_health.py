"""``salesops deal_health``: recheck the healthy-deal criteria (SPEC D7) of every deal
that is not lost, or only the stale ones (``--stale``), or one deal (``--deal ID``)."""

from django.core.management.base import BaseCommand, CommandError

from salesops.pipeline import health
from salesops.pipeline.models import Deal
from salesops.reports import deal_health


class Command(BaseCommand):
    help = "Recompute the healthy-deal check of every deal that is not lost."

    def add_arguments(self, parser):
        parser.add_argument("--deal", type=int, help="Only this deal (its id).")
        parser.add_argument(
            "--stale", action="store_true", help="Only the deals waiting for the sweep."
        )
        parser.add_argument("--batch", type=int, default=1000, help="Deals per transaction.")

    def handle(self, *args, deal=None, stale=False, batch=1000, **options):
        if batch < 1:
            raise CommandError("--batch: give a positive number of deals, e.g. 1000.")
        if deal is not None:
            found = Deal.objects.filter(pk=deal).first()
            if found is None:
                raise CommandError(f"--deal: no deal with id {deal}.")
            result = deal_health.recompute_deal(found)
            self.stdout.write(f"deal {deal}: {result['passed']}/{result['total']}")
            return
        if stale:
            # Bounded by the count at the start: deals queued meanwhile wait for the sweep.
            waiting, total = health.stale_deals(None).count(), 0
            while total < waiting:
                n = deal_health.recompute_stale(batch)
                if not n:
                    break
                total += n
            self.stdout.write(f"checked {total} stale deal(s)")
            return
        self.stdout.write(f"checked {deal_health.recompute_all(batch=batch)} deal(s)")
