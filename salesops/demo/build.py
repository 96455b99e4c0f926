"""The demo generator: users, teams, accounts and contacts, written with ``bulk_create``.

Deterministic: every random choice comes from one ``random.Random(seed)`` and one seeded
``Faker("zh_CN")``, consumed in a fixed order, so two builds with the same seed give the
same names, credit codes and phone numbers. Only the timestamps move with ``clock.now()``.

Speed matters (``--size large`` is 50,000 accounts and 150,000 contacts plus their
history): the accounts are written with ``bulk_create`` in batches, each followed by its
contacts, then the "created" history rows of both are copied by the database in one
``INSERT … SELECT`` each — all in one transaction. History rows have
``history_date = created_at``, no user and change reason "demo", so an account's audit
tab starts with its creation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import time
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from salesops.activities import rollup as activity_rollup
from salesops.core import clock
from salesops.core.names import company_key
from salesops.customers.models import (
    Account,
    AccountLevel,
    Contact,
)
from salesops.leads.models import Lead
from salesops.org import services as org_services
from salesops.org.models import Role, Team, TeamKind, User
from salesops.pipeline.models import Deal, StageChange
from salesops.reports import deal_health
from salesops.revenue.models import Instalment
from salesops.targets import rollup as measure_rollup

from . import COMPANY_TEAM, PASSWORD, REGIONS, SEED, SIZES, STAFF
from .daily_reports import build_daily_reports
from .deals import build_deals
from .diagnosis import build_diagnosis
from .generator import NOTES, SPAN, TITLES, _Generator, _instants, _Weighted
from .inbox import build_inbox
from .incentives import build_incentives
from .knowledge import build_knowledge
from .kpi import build_kpi
from .leads import build_leads
from .outcomes import build_outcomes
from .revenue import build_revenue
from .revenue import history_models as revenue_history_models
from .rules import run_rules_over_history
from .targets import build_targets
from .template import apply_template

BATCH = 5_000
HISTORY_REASON = "demo"
# The automation rules run once over the demo's last weeks (its leads span 40 days), so
# the lead reminders, breaches and escalations are in the inboxes (demo/rules.py).
HISTORY_DAYS = 41


@dataclass
class DemoResult:
    size: str
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    logins: list[str] = field(default_factory=list)

    def summary(self) -> str:
        counts = ", ".join(f"{v:,} {k}" for k, v in self.counts.items())
        logins = ", ".join(self.logins)
        return (
            f"demo ({self.size}) built in {self.seconds:.1f} s: {counts}\n"
            f"logins (password “{PASSWORD}”): {logins}"
        )


class DemoExists(Exception):
    """The database already holds data the demo would collide with."""


def _check_empty(usernames: list[str]) -> None:
    if Account.objects.exists():
        raise DemoExists(
            "The database already has accounts; the demo only loads into an empty database. "
            "Use a fresh database (for example a new DATABASE_URL) and run migrate first."
        )
    taken = list(User.objects.filter(username__in=usernames).values_list("username", flat=True)[:5])
    if taken:
        raise DemoExists(
            f"The demo logins already exist ({', '.join(taken)} …); the demo has been loaded "
            "before. Use a fresh database to build it again."
        )


def _build_org(gen: _Generator, size_name: str, now: dt.datetime):
    """Users and teams. Returns ({region: [rep, …]}, [username, …] of the logins)."""
    spec = SIZES[size_name]
    password = make_password(PASSWORD)  # hashed once: hashing per user costs ~0.3 s each
    joined = now - SPAN - dt.timedelta(days=30)

    def new_user(username: str, role: str, **extra) -> User:
        last, first = gen.person()
        return User(
            username=username,
            password=password,
            role=role,
            first_name=first,
            last_name=last,
            display_name=f"{last}{first}",
            email=f"{username}@salesops.example",
            phone=gen.mobile(),
            language="zh-hans",
            date_joined=joined,
            **extra,
        )

    staff = {
        username: new_user(
            username, role, is_staff=role == Role.ADMIN, is_superuser=role == Role.ADMIN
        )
        for username, (role, _team) in STAFF.items()
    }
    managers = {
        region: new_user(username, Role.MANAGER) for region, (username, _) in REGIONS.items()
    }
    # Reps per region in proportion to the region's share; the rounding rest goes east.
    shares = {region: int(spec.reps * share) for region, (_, share) in REGIONS.items()}
    shares[next(iter(REGIONS))] += spec.reps - sum(shares.values())
    reps: dict[str, list[User]] = {}
    n = itertools.count(1)
    for region, count in shares.items():
        reps[region] = [new_user(spec.rep_username(next(n)), Role.REP) for _ in range(count)]
    everyone = [*staff.values(), *managers.values(), *itertools.chain.from_iterable(reps.values())]
    User.objects.bulk_create(everyone)

    company = org_services.team_create(
        name=COMPANY_TEAM, kind=TeamKind.COMPANY, manager=staff["director"]
    )
    User.objects.filter(pk__in=[u.pk for u in staff.values()]).update(team=company)
    for region, manager in managers.items():
        team = org_services.team_create(
            name=region, parent=company, kind=TeamKind.REGION, manager=manager, region=region
        )
        members = [manager, *reps[region]]
        User.objects.filter(pk__in=[u.pk for u in members]).update(team=team)
        for user in members:
            user.team = team
    logins = [*staff, *(managers[r].username for r in REGIONS)]
    first_rep, last_rep = spec.rep_username(1), spec.rep_username(spec.reps)
    logins.append(f"{first_rep}…{last_rep}")
    return reps, logins


def _copy_history(model, via: str | None = None) -> int:
    """Write a "created" history row for every row of ``model`` with one INSERT … SELECT.

    Equivalent to ``bulk_history_create`` with ``history_date = created_at`` but done by
    the database: building 200,000 historical instances in Python would double the time
    of the large demo. Only valid while the table holds nothing but the demo rows.
    ``via`` names the foreign key whose row's ``created_at`` dates a model that has none
    (an instalment is created with its contract).
    """
    historical = model.history.model
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    targets, sources = [], []
    for tracked in historical.tracked_fields:
        targets.append(quote(historical._meta.get_field(tracked.name).column))
        sources.append(f"{table}.{quote(tracked.column)}")
    meta = historical._meta
    targets += [
        quote(meta.get_field(name).column)
        for name in ("history_date", "history_change_reason", "history_type", "history_user")
    ]
    source_from, created = table, f"{table}.{quote('created_at')}"
    if via is not None:
        fk = model._meta.get_field(via)
        parent = quote(fk.related_model._meta.db_table)
        source_from += (
            f" JOIN {parent} ON {parent}.{quote(fk.target_field.column)} = "
            f"{table}.{quote(fk.column)}"
        )
        created = f"{parent}.{quote('created_at')}"
    sources += [created, "%s", "%s", "NULL"]
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(targets)}) "
        f"SELECT {', '.join(sources)} FROM {source_from} ORDER BY {table}.{quote(model._meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [HISTORY_REASON, "+"])
        return cursor.rowcount


def _analyze(models) -> None:
    """Refresh PostgreSQL's statistics and visibility map after the bulk load. Without
    statistics it plans the account list for an empty table (sequential scan + on-disk
    sort: twice as slow at 50,000 accounts), and without the visibility map counts cannot
    use index-only scans, until autovacuum gets round to the tables."""
    if connection.vendor != "postgresql":
        # SQLite plans these tables well from its defaults; with ANALYZE statistics it
        # picked slower plans for some of the dashboard's per-team aggregates.
        return
    # VACUUM cannot run inside a transaction (as in the tests); ANALYZE alone can.
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"{command} {quote(model._meta.db_table)}")


def _user_changes(reps: dict[str, list[User]], now: dt.datetime) -> int:
    """A few changes an administrator made lately, so the change log (Settings · User
    changes) shows real rows: two reps' daily lead caps raised, one lowered. Caps only
    shape future routing, so the demo's own leads are unchanged."""
    admin = User.objects.get(username="admin")
    first = [team_reps[0] for team_reps in reps.values() if team_reps]
    changes = list(zip(first, (20, 25, 10), (9, 5, 2), strict=False))
    for rep, cap, days_ago in changes:
        with clock.frozen(now - dt.timedelta(days=days_ago, hours=-1)):
            org_services.user_update(actor=admin, user=rep, daily_lead_cap=cap)
    return len(changes)


def build(size: str = "small", *, seed: int = SEED, stdout=None) -> DemoResult:
    """Build the demo organisation of ``size`` ("small" or "large") into the database.

    Raises :class:`DemoExists` if the database already has accounts or the demo logins.
    ``stdout`` (a writable) receives progress lines for the large build.
    """
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}, not {size!r}")
    spec = SIZES[size]
    started = time.perf_counter()
    now = clock.now()
    gen = _Generator(seed)
    rng = gen.rng
    usernames = [*STAFF, *(u for u, _ in REGIONS.values()), spec.rep_username(1)]
    result = DemoResult(size=size)

    with transaction.atomic():
        _check_empty(usernames)
        reps, result.logins = _build_org(gen, size, now)
        # Configured from the manufacturing industry template before any data arrives.
        apply_template()
        # Some reps carry bigger books than others.
        owners = _Weighted(
            rng,
            [((region, rep), rng.uniform(0.4, 1.6)) for region in REGIONS for rep in reps[region]],
        )
        instants = _instants(rng, spec.accounts, now)
        n_accounts = n_contacts = 0
        demo_accounts: list[Account] = []
        # The customer-success login looks after the key (A) accounts; it also sees every
        # account with a signed contract (core.visibility).
        success_owner = User.objects.get(username="cs")
        for start in range(0, spec.accounts, BATCH):
            accounts = []
            for created_at in instants[start : start + BATCH]:
                region, owner = owners()
                province, city, area = gen.places[region]()
                industry = gen.industry()
                name = gen.company_name(city, industry)
                key = company_key(name)
                accounts.append(
                    Account(
                        name=name,
                        name_key=key,
                        name_prefix=key[:2],
                        credit_code=gen.credit_code(area, industry),
                        industry=industry,
                        size_band=gen.size_band(),
                        level=gen.level(),
                        province=province,
                        city=city,
                        address=gen.address(city),
                        owner=owner,
                        created_by=owner,
                        notes=rng.choice(NOTES) if rng.random() < 0.12 else "",
                        created_at=created_at,
                        updated_at=created_at,
                    )
                )
                if accounts[-1].level == AccountLevel.A:
                    accounts[-1].success_owner = success_owner
            Account.objects.bulk_create(accounts)
            demo_accounts.extend(accounts)

            contacts = []
            for account in accounts:
                room = max((now - account.created_at).total_seconds(), 1.0)
                for i in range(spec.contacts_per_account):
                    role = gen.first_role() if i == 0 else gen.other_role()
                    last, first = gen.person()
                    # The first contact comes with the account, the others within weeks.
                    delay = 0.0 if i == 0 else min(room, rng.uniform(0, 45 * 86400))
                    created_at = account.created_at + dt.timedelta(seconds=delay)
                    contacts.append(
                        Contact(
                            account=account,
                            name=f"{last}{first}",
                            phone=gen.mobile(),
                            wechat=gen.wechat(),
                            email=gen.email(),
                            title=rng.choice(TITLES[role]),
                            decision_role=role,
                            created_by=account.owner,
                            created_at=created_at,
                            updated_at=created_at,
                        )
                    )
            Contact.objects.bulk_create(contacts)
            n_accounts += len(accounts)
            n_contacts += len(contacts)
            if stdout is not None and spec.accounts > BATCH:
                stdout.write(f"  {n_accounts:,} accounts, {n_contacts:,} contacts …")
        teams = {t.name: t for t in Team.objects.filter(kind=TeamKind.REGION)}
        lead_counts = build_leads(gen, reps, teams, now, spec.leads, days=spec.lead_days)
        revenue_counts = build_revenue(gen, now, demo_accounts)
        deal_counts = build_deals(gen, now, demo_accounts, teams, spec.deals)
        deal_counts.update(build_knowledge(gen, now, demo_accounts))
        # The healthy-deal check as the sweep would have left it (D7).
        deal_counts["deals checked"] = deal_health.recompute_all()
        history = _copy_history(Account) + _copy_history(Contact) + _copy_history(Lead)
        history += _copy_history(Deal)
        history += sum(_copy_history(model) for model in revenue_history_models())
        history += _copy_history(Instalment, via="contract")
        user_changes = _user_changes(reps, now)
        # The activities were bulk-inserted (no per-row signal): count them once.
        activity_rollup.rebuild()
        # Contracts and payments too (bulk_create): the targets' measure rollup, once.
        measure_rollup.rebuild()
        deal_counts["daily reports"] = build_daily_reports(gen, reps, now)
        deal_counts.update(build_targets(gen))
        deal_counts.update(build_kpi(gen))
        deal_counts.update(build_incentives(gen))
        deal_counts.update(build_inbox(now))

    # Inboxes as the live engine would have filled them (reminders, breaches, escalations).
    firings = run_rules_over_history(since=now - dt.timedelta(days=HISTORY_DAYS), now=now)
    # The outcome board since a go-live a few weeks into the history, from every record above.
    outcome_counts = build_outcomes(gen, now, HISTORY_DAYS)
    # The 12-point diagnosis, a week ago and now (after the rules: it reads their effects).
    deal_counts.update(build_diagnosis(now))
    _analyze(
        [User, Team, Account, Contact, Account.history.model, Contact.history.model]
        + [Deal, StageChange]
        + revenue_history_models()
    )
    result.counts = {
        "users": User.objects.count(),
        "teams": Team.objects.count(),
        "accounts": n_accounts,
        "contacts": n_contacts,
        **lead_counts,
        **revenue_counts,
        **deal_counts,
        "history rows": history,
        "user changes": user_changes,
        "rule firings": firings,
        **outcome_counts,
    }
    result.seconds = time.perf_counter() - started
    return result


def fingerprint() -> str:
    """A digest of the demo's names, codes and phones as stored (for determinism checks)."""
    digest = hashlib.sha256()
    rows = itertools.chain(
        User.objects.order_by("username").values_list(
            "username", "display_name", "role", "team__name"
        ),
        Team.objects.order_by("name").values_list(
            "name", "kind", "parent__name", "manager__username"
        ),
        Account.objects.order_by("credit_code").values_list(
            "credit_code",
            "name",
            "province",
            "city",
            "address",
            "industry",
            "level",
            "owner__username",
        ),
        Contact.objects.order_by("phone").values_list(
            "phone", "name", "email", "wechat", "title", "decision_role", "account__credit_code"
        ),
        Deal.objects.order_by("account__credit_code", "name", "amount", "stage__code").values_list(
            "account__credit_code", "name", "amount", "stage__code", "status", "owner__username"
        ),
    )
    for row in rows:
        digest.update("\x1f".join(map(str, row)).encode())
        digest.update(b"\x1e")
    return digest.hexdigest()
