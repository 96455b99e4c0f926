"""The data of the targets benchmark (issue 16): 500 reps, 60,000 accounts, 200,000 deals,
100,000 signed contracts and 300,000 payments (all but the reps × ``--scale``).

Built once per data version and scale, then reused (the database records both, and the
build time, in ``bench_targets_meta`` through ``common.read_meta`` / ``write_meta``):

* **Organisation**: the director on the company team 总部; 5 regions (华南 华东 华北 西南
  华中), each with a region manager; 10 groups per region (50 teams), each with a manager
  and 10 reps (500 reps at every scale: the plan's decomposition and the director's
  dashboard keep their shape). One rep in fifty has a few accounts and no deals yet (the
  matrix's default quadrant). Logins as in bench/README.md (password ``salesops-demo``).
* **Accounts** (``60,000 × scale``), owned by the reps (a rep's book size varies), levels
  A 10 % / B 30 % / C 60 % (A is the key-account level of ``TargetPolicy``), industries,
  provinces and cities of the demo's geography, names in the demo's style (city, 字号,
  trade word, legal form; not unique — no duplicate check runs here), 2–5 contacts each
  with decision roles (the demo's role and title tables).
* **Deals** (``200,000 × scale``) over the last 24 months on the default pipeline, by the
  owners of their accounts: ~45 % open (stages weighted to the early ones, ``stage_entered_at``
  and ``stall_due_at`` as the services set them, D8 flags need / budget / decision maker
  more often in later stages, a decision chain of 1–5 of the account's contacts on a
  share of them growing with the stage), the closed ones won or lost with ``closed_at``
  (each rep has a win rate of its own, and one of its own on A accounts, so the
  capability matrix spreads; ~25 % of all deals won, ~30 % lost). Amounts: log-normal
  around CNY 80,000 scaled by the rep's deal size and the account level.
* **Contracts** (``100,000 × scale``): one per won deal (its amount, product line, owner
  and account, signed on the day it was won), the rest add-on contracts of won deals
  (services or another line, 15–40 % of the deal, signed up to 60 days later); status
  signed / active / completed (all "signed" statuses), a 12-month term.
* **Payments** (``300,000 × scale``): each contract at least one; received after the
  signing day and never in the future; they add up to the whole amount for contracts
  older than 400 days and to 40–100 % of it for newer ones (never more than the amount).

``executemany`` in batches of 20,000 in one transaction (columns from the model), explicit
ids (PostgreSQL sequences reset), no history rows; PostgreSQL then ``VACUUM ANALYZE``,
SQLite no statistics, as ``make run`` ships (as ``bench/pages_data.py``).
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
import sys
import time
from decimal import Decimal

import common  # bench/ is on the path: this runs as bench/<script>.py or under one

DATA_VERSION = "2"
META_TABLE = "bench_targets_meta"
FULL = {"accounts": 60_000, "deals": 200_000, "contracts": 100_000, "payments": 300_000}
REGIONS = ("华南", "华东", "华北", "西南", "华中")
TEAMS_PER_REGION = 10
REPS_PER_TEAM = 10
NEW_REP_EVERY = 50  # one rep in fifty has no deals yet (the matrix's default quadrant)
SPAN_DAYS = 730
BATCH = 20_000
SEED = 20261216
DIRECTOR = "director"
LEVELS = [("A", 10), ("B", 30), ("C", 60)]
LEVEL_SIZE = {"A": 1.8, "B": 1.2, "C": 1.0}
OPEN_SHARE = 0.45
STAGE_WEIGHTS = (30, 22, 18, 12, 10, 8)
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建文辉玲红晨宇欣怡浩然子轩梓涵"


def sizes(scale: float) -> dict:
    out = {k: max(1, round(v * scale)) for k, v in FULL.items()}
    out["reps"] = len(REGIONS) * TEAMS_PER_REGION * REPS_PER_TEAM
    out["payments"] = max(out["payments"], out["contracts"])
    return out


def meta():
    """``(version, scale, seconds)`` recorded in the database, or None."""
    return common.read_meta(META_TABLE)


def build_seconds() -> float | None:
    return float(row[2]) if (row := meta()) else None


def ensure(scale: float) -> dict | None:
    """Migrate; build the data unless the database holds this version at this scale.
    Returns the build's figures when it built, else None."""
    from django.core.management import call_command

    from salesops.customers.models import Account

    call_command("migrate", verbosity=0, interactive=False)
    row = meta()
    if row is not None and row[0] == DATA_VERSION and float(row[1]) == scale:
        _fill_rollup()
        return None
    if row is not None or Account.objects.exists():
        sys.exit(
            f"The bench database holds other data ({row or 'not built by this benchmark'}); "
            "delete it (or point BENCH_DATABASE_URL at an empty database) and run again."
        )
    return build(scale)


def _fill_rollup() -> None:
    """A database built before the measure rollup existed (or filled around it): count
    the rollup once when it is empty (migration 0002 fills it when it runs on old data)."""
    from salesops.revenue.models import Payment
    from salesops.targets import rollup

    if rollup.is_empty() and Payment.objects.exists():
        print("counting the measure rollup (one time) …", flush=True)
        rollup.rebuild()


# --- inserting -------------------------------------------------------------------------------
class Inserter:
    """``executemany`` of unsaved model instances in batches of :data:`BATCH`, ids
    included when set (``with_id``). The column list comes from the model."""

    def __init__(self, model, *, with_id: bool = True):
        from django.db import connection

        self.connection = connection
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields if with_id or not f.primary_key]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        table = quote(model._meta.db_table)
        self.sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
        self.rows: list[tuple] = []
        self.count = 0

    def add(self, obj) -> None:
        connection = self.connection
        self.rows.append(
            tuple(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in self.fields)
        )
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            with self.connection.cursor() as cursor:
                cursor.executemany(self.sql, self.rows)
            self.count += len(self.rows)
            self.rows = []


def insert_pairs(table: str, columns: tuple[str, str], pairs) -> int:
    """``executemany`` of plain two-column rows (the deal ↔ contact decision chain)."""
    from django.db import connection

    quote = connection.ops.quote_name
    sql = f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) VALUES (%s, %s)"  # noqa: S608
    n = 0
    with connection.cursor() as cursor:
        for start in range(0, len(pairs), BATCH):
            chunk = pairs[start : start + BATCH]
            cursor.executemany(sql, chunk)
            n += len(chunk)
    return n


class Weighted:
    """``random.choices`` with the cumulative weights computed once."""

    def __init__(self, rng: random.Random, pairs):
        self.rng = rng
        self.items = [item for item, _ in pairs]
        self.cum = list(itertools.accumulate(weight for _, weight in pairs))

    def __call__(self):
        return self.items[bisect.bisect(self.cum, self.rng.random() * self.cum[-1])]


# --- the organisation ------------------------------------------------------------------------
def build_org(now: dt.datetime) -> tuple[list, dict]:
    """The teams and users; returns ``(reps, {rep id: region name})``."""
    from django.contrib.auth.hashers import make_password

    from salesops.demo import PASSWORD
    from salesops.org import services as org_services
    from salesops.org.models import Role, TeamKind, User

    password = make_password(PASSWORD)
    joined = now - dt.timedelta(days=SPAN_DAYS + 60)

    def person(username, role, name, team=None):
        return User.objects.create(
            username=username,
            role=role,
            password=password,
            display_name=name,
            team=team,
            date_joined=joined,
        )

    director = person(DIRECTOR, Role.DIRECTOR, "总监")
    company = org_services.team_create(name="总部", kind=TeamKind.COMPANY, manager=director)
    User.objects.filter(pk=director.pk).update(team=company)
    reps, region_of = [], {}
    for r, region_name in enumerate(REGIONS):
        boss = person(f"region_manager_{r}", Role.MANAGER, f"{region_name}区域总监")
        region = org_services.team_create(
            name=region_name, parent=company, kind=TeamKind.REGION, manager=boss, region=region_name
        )
        User.objects.filter(pk=boss.pk).update(team=region)
        for g in range(TEAMS_PER_REGION):
            name = f"{region_name}{g + 1}组"
            manager = person(f"manager_{r}_{g}", Role.MANAGER, f"{name}经理")
            group = org_services.team_create(
                name=name, parent=region, kind=TeamKind.GROUP, manager=manager, region=region_name
            )
            User.objects.filter(pk=manager.pk).update(team=group)
            made = User.objects.bulk_create(
                User(
                    username=f"rep{r}_{g}_{i:02d}",
                    role=Role.REP,
                    password=password,
                    display_name=f"{name}代表{i + 1:02d}",
                    team=group,
                    date_joined=joined,
                )
                for i in range(REPS_PER_TEAM)
            )
            for rep in made:
                region_of[rep.pk] = region_name
            reps += made
    return reps, region_of


# --- accounts and contacts -------------------------------------------------------------------
def build_accounts(rng, now, reps, active_reps, region_of, count) -> tuple[dict, int]:
    """Accounts and their contacts; returns ``({rep id: [(account id, level, created,
    [contact ids])]}, contacts)``."""
    from salesops.core.names import company_key
    from salesops.customers.models import Account, Contact
    from salesops.demo import GEOGRAPHY
    from salesops.demo.generator import (
        BRAND_CHARS,
        COMPANY_FORMS,
        FIRST_ROLES,
        INDUSTRIES,
        OTHER_ROLES,
        SIZE_BANDS,
        TITLES,
        TRADE_WORDS,
    )

    level = Weighted(rng, LEVELS)
    industry = Weighted(rng, INDUSTRIES)
    size_band = Weighted(rng, SIZE_BANDS)
    form = Weighted(rng, COMPANY_FORMS)
    first_role = Weighted(rng, FIRST_ROLES)
    other_role = Weighted(rng, OTHER_ROLES)

    def spots(provinces):
        return [((p, city), w) for p, cities in provinces.items() for city, _code, w in cities]

    places = {region: Weighted(rng, spots(provinces)) for region, provinces in GEOGRAPHY.items()}
    everywhere = Weighted(rng, [s for provinces in GEOGRAPHY.values() for s in spots(provinces)])
    # Books of different sizes: a rep's weight 0.5–1.5; the new reps own a few accounts.
    book = Weighted(rng, [(rep.pk, rng.uniform(0.5, 1.5)) for rep in active_reps])
    new_reps = [rep.pk for rep in reps if rep not in active_reps]
    next_account = _next_id(Account)
    next_contact = _next_id(Contact)
    accounts = Inserter(Account)
    contacts = Inserter(Contact)
    books: dict[int, list] = {rep.pk: [] for rep in reps}
    span = SPAN_DAYS + 300
    for n in range(count):
        owner = new_reps[n % len(new_reps)] if new_reps and n < 3 * len(new_reps) else book()
        province, city = (places.get(region_of[owner]) or everywhere)()
        trade = rng.choice(TRADE_WORDS[ind := industry()])
        brand = rng.choice(BRAND_CHARS) + rng.choice(BRAND_CHARS)
        name = f"{city.removesuffix('市')}{brand}{trade}{form()}"
        key = company_key(name)
        created = now - dt.timedelta(days=span * rng.random() ** 0.7 + 30)
        grade = level()
        account = Account(
            id=next_account,
            name=name,
            name_key=key,
            name_prefix=key[:2],
            industry=ind,
            size_band=size_band(),
            province=province,
            city=city,
            level=grade,
            owner_id=owner,
            created_by_id=owner,
            created_at=created,
            updated_at=created,
        )
        accounts.add(account)
        people = []
        for c in range(rng.randint(2, 5)):
            role = first_role() if c == 0 else other_role()
            contacts.add(
                Contact(
                    id=next_contact,
                    account_id=next_account,
                    name=rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.randint(1, 2))),
                    title=rng.choice(TITLES[role]),
                    decision_role=role,
                    created_by_id=owner,
                    created_at=created,
                    updated_at=created,
                )
            )
            people.append(next_contact)
            next_contact += 1
        books[owner].append((next_account, grade, created, people))
        next_account += 1
    accounts.flush()
    contacts.flush()
    return books, contacts.count


def _next_id(model) -> int:
    return (model._default_manager.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1


# --- deals -----------------------------------------------------------------------------------
def build_deals(rng, now, active_reps, books, count):
    """The deals and their decision chains; returns the won deals as
    ``[(deal id, owner, account, amount, product line, closed_at)]`` and the counts."""
    from salesops.core import choices
    from salesops.pipeline import defaults
    from salesops.pipeline.models import Deal, Pipeline
    from salesops.pipeline.services import stall_due

    pipeline = defaults.install_default_pipeline() or Pipeline.objects.get(
        code=defaults.DEFAULT_CODE
    )
    stages = list(pipeline.stages.order_by("order"))
    open_stages = [s for s in stages if s.kind == "open"]
    won_stage = next(s for s in stages if s.kind == "won")
    lost_stage = next(s for s in stages if s.kind == "lost")
    stage_weights = list(STAGE_WEIGHTS[: len(open_stages)])
    stage_weights += [5] * (len(open_stages) - len(stage_weights))
    stage_pick = Weighted(rng, list(zip(range(len(open_stages)), stage_weights, strict=True)))
    lines = choices.active_codes(choices.PRODUCT_LINE) or ["crm", "erp", "analytics", "services"]
    lost_reasons = choices.active_codes(choices.DEAL_LOST_REASON) or ["price"]
    # Each rep: a deal size, a win rate of closed deals, a win rate on A accounts, a main
    # product line. ~45 % open; of the closed 25/55 won on average.
    profile = {
        rep.pk: {
            "size": rng.lognormvariate(0, 0.35),
            "win": rng.uniform(0.30, 0.61),
            "key_win": rng.uniform(0.20, 0.75),
            "line": rng.choice(lines),
        }
        for rep in active_reps
    }
    owners = Weighted(rng, [(pk, len(books[pk])) for pk in profile if books[pk]])
    deals = Inserter(Deal)
    chain_table = Deal.contacts.through
    chain_columns = (
        chain_table._meta.get_field("deal").column,
        chain_table._meta.get_field("contact").column,
    )
    chains: list[tuple[int, int]] = []
    won: list[tuple] = []
    counts = {"open": 0, "won": 0, "lost": 0, "qualified_open": 0, "with_chain": 0}
    next_deal = _next_id(Deal)
    for _ in range(count):
        owner = owners()
        me = profile[owner]
        account, grade, account_created, people = rng.choice(books[owner])
        line = me["line"] if rng.random() < 0.6 else rng.choice(lines)
        amount = rng.lognormvariate(11.29, 0.7) * me["size"] * LEVEL_SIZE[grade]  # e^11.29 ≈ 80,000
        amount = Decimal(max(1_000, round(amount, -2)))
        values = {
            "id": next_deal,
            "name": f"{line.upper()}项目-{next_deal}",
            "account_id": account,
            "owner_id": owner,
            "created_by_id": owner,
            "pipeline_id": pipeline.pk,
            "product_line": line,
            "amount": amount,
        }
        if rng.random() < OPEN_SHARE:
            created = now - dt.timedelta(days=SPAN_DAYS * rng.random() ** 1.8)
            created = max(created, account_created)
            k = stage_pick()
            stage = open_stages[k]
            entered = created + (now - created) * rng.uniform(0.3, 1.0)
            need = rng.random() < 0.30 + 0.13 * k
            budget = rng.random() < 0.15 + 0.13 * k
            maker = rng.random() < 0.20 + 0.13 * k
            values.update(
                status="open",
                stage=stage,
                stage_entered_at=entered,
                stall_due_at=stall_due(stage, entered),
                expected_close_date=(now + dt.timedelta(days=rng.randint(7, 150))).date(),
                commit_category=("commit" if k >= 4 else "best_case" if k >= 2 else "pipeline"),
                need_confirmed=need,
                budget_confirmed=budget,
                decision_maker_identified=maker,
                created_at=created,
                updated_at=entered,
            )
            counts["open"] += 1
            counts["qualified_open"] += need and budget and maker
            if rng.random() < 0.35 + 0.1 * k:
                picked = rng.sample(people, rng.randint(1, len(people)))
                chains += [(next_deal, contact) for contact in picked]
                counts["with_chain"] += 1
        else:
            closed = now - dt.timedelta(days=rng.uniform(3, SPAN_DAYS))
            created = max(closed - dt.timedelta(days=rng.uniform(15, 150)), account_created)
            closed = max(closed, created + dt.timedelta(days=1))
            rate = me["key_win"] if grade == "A" else me["win"]
            is_won = rng.random() < rate
            values.update(
                status="won" if is_won else "lost",
                stage=won_stage if is_won else lost_stage,
                stage_entered_at=closed,
                stall_due_at=None,
                closed_at=closed,
                commit_category="commit" if is_won else "omitted",
                need_confirmed=is_won or rng.random() < 0.5,
                budget_confirmed=is_won or rng.random() < 0.4,
                decision_maker_identified=is_won or rng.random() < 0.4,
                lost_reason="" if is_won else rng.choice(lost_reasons),
                created_at=created,
                updated_at=closed,
            )
            counts["won" if is_won else "lost"] += 1
            if is_won:
                won.append((next_deal, owner, account, amount, line, closed))
        deals.add(Deal(**values))
        next_deal += 1
    deals.flush()
    counts["chain_rows"] = insert_pairs(chain_table._meta.db_table, chain_columns, chains)
    return won, counts, lines


# --- contracts and payments ------------------------------------------------------------------
def build_revenue(rng, now, today, won, lines, contract_count, payment_count) -> dict:
    """One contract per won deal (up to ``contract_count``), add-on contracts of won
    deals for the rest; ``payment_count`` payments over them."""
    from django.utils.timezone import localdate

    from salesops.revenue.models import Contract, ContractStatus, Payment

    latest_sign = today - dt.timedelta(days=3)  # payments fall strictly after the signing
    plans = []  # (deal, owner, account, amount, line, signed_on)
    for deal, owner, account, amount, line, closed in won[:contract_count]:
        plans.append((deal, owner, account, amount, line, min(localdate(closed), latest_sign)))
    while len(plans) < contract_count and won:
        deal, owner, account, amount, line, closed = rng.choice(won)
        extra = "services" if line != "services" and "services" in lines else rng.choice(lines)
        part = (amount * Decimal(str(round(rng.uniform(0.15, 0.40), 2)))).quantize(Decimal("1"))
        signed = min(localdate(closed) + dt.timedelta(days=rng.randint(0, 60)), latest_sign)
        plans.append((deal, owner, account, max(part, Decimal(1000)), extra, signed))
    # Payments per contract: one each, the rest spread at random (about 3 a contract).
    per_contract = [1] * len(plans)
    for _ in range(payment_count - len(plans)):
        per_contract[rng.randrange(len(plans))] += 1
    contracts = Inserter(Contract)
    payments = Inserter(Payment, with_id=False)
    next_contract = _next_id(Contract)
    paid_total = Decimal(0)
    signed_total = Decimal(0)
    for (deal, owner, account, amount, line, signed), n in zip(plans, per_contract, strict=True):
        age = (today - signed).days
        status = ContractStatus.COMPLETED if age > 400 else ContractStatus.ACTIVE
        if age < 30:
            status = ContractStatus.SIGNED
        stamp = dt.datetime.combine(signed, dt.time(10), tzinfo=dt.UTC)
        contracts.add(
            Contract(
                id=next_contract,
                number=f"HT{signed:%Y%m}-{next_contract:07d}",
                account_id=account,
                owner_id=owner,
                deal_id=deal,
                product_line=line,
                amount=amount,
                signed_on=signed,
                start_on=signed,
                end_on=signed + dt.timedelta(days=365),
                term_months=12,
                status=status,
                created_by_id=owner,
                created_at=stamp,
                updated_at=stamp,
            )
        )
        signed_total += amount
        share = 1.0 if age > 400 else rng.uniform(0.4, 1.0)
        cents = int(amount * 100 * Decimal(str(round(share, 4))))
        weights = [rng.uniform(0.5, 1.5) for _ in range(n)]
        parts = [int(cents * w // sum(weights)) for w in weights]
        parts[0] += cents - sum(parts)  # the first (the down payment) takes the remainder
        span = min(age - 1, 360)
        days = sorted(rng.randint(1, max(1, span)) for _ in range(n))
        for part, offset in zip(parts, days, strict=True):
            received = signed + dt.timedelta(days=offset)
            at = dt.datetime.combine(received, dt.time(15), tzinfo=dt.UTC)
            money = Decimal(part) / 100
            payments.add(
                Payment(
                    contract_id=next_contract,
                    account_id=account,
                    amount=money,
                    received_on=received,
                    created_by_id=owner,
                    created_at=at,
                    updated_at=at,
                )
            )
            paid_total += money
        next_contract += 1
    contracts.flush()
    payments.flush()
    return {
        "contracts": contracts.count,
        "payments": payments.count,
        "signed_total": str(signed_total.quantize(Decimal("0.01"))),
        "paid_total": str(paid_total.quantize(Decimal("0.01"))),
    }


# --- the whole build -------------------------------------------------------------------------
def build(scale: float) -> dict:
    from django.db import transaction
    from django.utils import timezone

    from salesops.core import clock
    from salesops.targets import rollup as measure_rollup

    want = sizes(scale)
    print(f"building the targets bench data at scale {scale:g}: {want} (one time) …", flush=True)
    rng = random.Random(SEED)
    started = time.perf_counter()
    now = clock.now()
    today = timezone.localdate(now)
    steps = {}

    def step(label, since):
        steps[label] = round(time.perf_counter() - since, 1)
        print(f"  {label}: {steps[label]} s", flush=True)
        return time.perf_counter()

    with transaction.atomic():
        mark = time.perf_counter()
        reps, region_of = build_org(now)
        active = [rep for n, rep in enumerate(reps) if n % NEW_REP_EVERY != NEW_REP_EVERY - 1]
        mark = step("organisation", mark)
        books, contact_count = build_accounts(rng, now, reps, active, region_of, want["accounts"])
        mark = step("accounts and contacts", mark)
        won, deal_counts, lines = build_deals(rng, now, active, books, want["deals"])
        mark = step("deals", mark)
        revenue = build_revenue(rng, now, today, won, lines, want["contracts"], want["payments"])
        mark = step("contracts and payments", mark)
        # The rows went in with executemany (no signals): count the measure rollup once.
        revenue["measure_rollup_rows"] = measure_rollup.rebuild()
        mark = step("measure rollup", mark)
    _after_load()
    seconds = round(time.perf_counter() - started, 1)
    common.write_meta(META_TABLE, DATA_VERSION, scale, seconds)
    figures = {
        "scale": scale,
        "seconds": seconds,
        "steps_seconds": steps,
        "reps": len(reps),
        "reps_without_deals": len(reps) - len(active),
        "contacts": contact_count,
        "deals": deal_counts,
        **revenue,
    }
    print(f"targets bench data built in {seconds} s: {figures}", flush=True)
    return figures


def _after_load() -> None:
    """PostgreSQL: move the sequences past the explicit ids, then VACUUM ANALYZE (statistics
    and the visibility map). SQLite plans from its defaults, as ``make run`` ships."""
    from django.core.management.color import no_style
    from django.db import connection

    from salesops.customers.models import Account, Contact
    from salesops.pipeline.models import Deal
    from salesops.revenue.models import Contract

    if connection.vendor != "postgresql":
        return
    models = [Account, Contact, Deal, Contract]
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)
        cursor.execute("VACUUM ANALYZE")


if __name__ == "__main__":  # (``make bench`` runs it too) build or check the data only
    import targets

    sys.argv.append("--build-only")
    targets.main()
