"""``salesops demo --size small|large``: load the demo organisation into an empty database."""

from django.core.management.base import BaseCommand, CommandError

from salesops import demo
from salesops.customers.models import Account
from salesops.demo.build import DemoExists, build
from salesops.org.models import User
from salesops.reports import ltv


class Command(BaseCommand):
    help = (
        "Load the demo organisation (director, four regional managers, admin, finance, "
        "customer success, reps, accounts and contacts) into an empty database. "
        f"Every demo login has the password “{demo.PASSWORD}”."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--size",
            choices=sorted(demo.SIZES),
            default="small",
            help="small: 20 reps, 500 accounts, 1,500 contacts; "
            "large: 200 reps, 50,000 accounts, 150,000 contacts.",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (and succeed) when the database already has users.",
        )
        parser.add_argument(
            "--seed", type=int, default=demo.SEED, help="Random seed (default: %(default)s)."
        )

    def handle(self, *args, size, if_empty, seed, **options):
        if if_empty and User.objects.exists():
            if options["verbosity"] > 1:
                self.stdout.write("demo: the database already has users; nothing to do.")
            return
        self.stdout.write(f"building the {size} demo organisation …")
        try:
            result = build(
                size, seed=seed, stdout=self.stdout if options["verbosity"] > 0 else None
            )
        except DemoExists as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(result.summary()))
        if size == "small":
            self.stdout.write(f"lifetime values: {_lifetime_values()} accounts with contracts")


def _lifetime_values() -> int:
    """The LTV of every demo account with a contract, so the Account 360 pages show one on a
    fresh install (the nightly run would otherwise be the first; about 2 s for the small
    demo, far too long for the large one, which waits for the nightly run)."""
    formula = ltv.current_formula()
    accounts = Account.objects.filter(contracts__isnull=False).distinct().only("id", "created_at")
    n = 0
    for account in accounts.iterator(chunk_size=500):
        ltv.ltv_recompute(account=account, formula=formula)
        n += 1
    return n
