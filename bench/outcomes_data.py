"""The data of the outcomes benchmark (issue 21): 200 reps, 200,000 leads, 2,000,000
activities and 200,000 deals (× ``--scale`` for all but the reps), and what the
diagnosis checks read beside them (``bench/diagnosis_data.py``).

Built once per data version and scale into the bench's database (``bench_outcomes_meta``
records both and the build time), reused after: one company with 10 regions of 20 reps
(and a manager each; teams made by ``org.services.team_create``, so their paths are
set), 50,000 accounts with a contact each, leads over 52 weeks (80 % first contacted,
three in four of them within the hour's SLA and the rest up to 4 days after intake, with
the SLA state that follows; 80 % of those older than a month converted or closed, the
open ones last touched ~36 h ago on average), activities by the reps on their leads
(30 %) and accounts (70 %), 60 % effective, 93 % checked in with a result tag, deals (35 %
won, 15 % lost, half from a lead; the open ones entered their stage in the last 20 days
and stall 7 days after), 5,000 complaints, a seen day per rep and working day, a
forecast snapshot per rep and month. Rows go in with ``executemany`` in batches (column
lists from the models, so a new field gets its default).
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time

import common  # bench/ is on the path: this runs under bench/outcomes.py
import diagnosis_data

DATA_VERSION = "2"
META_TABLE = "bench_outcomes_meta"
FULL = {
    "leads": 200_000,
    "activities": 2_000_000,
    "deals": 200_000,
    "accounts": 50_000,
    "complaints": 5_000,
}
REGIONS, REPS_PER_REGION = 10, 20
WEEKS = 52
BATCH = 20_000
SEED = 20261206
CHECKED_IN = 0.93  # activities finished with a result tag


class Inserter:
    """``executemany`` of one INSERT for ``model`` with every concrete column: ``add(**values)``
    fills the rest with the fields' defaults."""

    def __init__(self, model):
        from django.db import connection

        self.connection = connection
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        table = connection.ops.quote_name(model._meta.db_table)
        self.sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
        self.names = [f.attname for f in self.fields]
        self.defaults = {}
        for f in self.fields:
            default = f.get_default()
            self.defaults[f.attname] = (
                f.get_db_prep_save(default, connection) if default is not None else None
            )
        self.rows: list = []
        self.count = 0

    def adapt(self, value):
        if isinstance(value, dt.datetime):
            if self.connection.vendor == "sqlite":
                return str(value.astimezone(dt.UTC).replace(tzinfo=None))
            return value
        return value

    def add(self, **values) -> None:
        row = dict(self.defaults)
        for key, value in values.items():
            row[key] = self.adapt(value)
        self.rows.append(tuple(row[name] for name in self.names))
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            with self.connection.cursor() as cursor:
                cursor.executemany(self.sql, self.rows)
            self.count += len(self.rows)
            self.rows = []


def _meta():
    return common.read_meta(META_TABLE)


def build(scale: float) -> dict:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from salesops.activities.models import Activity, ResultTag
    from salesops.aftersales.models import Complaint
    from salesops.core import clock
    from salesops.customers.models import Account, Contact
    from salesops.demo import PASSWORD
    from salesops.leads.models import Channel, Lead, LeadStatus, SlaState
    from salesops.org import services as org_services
    from salesops.org.models import Role, TeamKind, User
    from salesops.outcomes.models import SeenDay
    from salesops.pipeline.defaults import install_default_pipeline
    from salesops.pipeline.models import Deal, DealStatus, Pipeline, StageKind
    from salesops.reports.models import ForecastSnapshot

    began = time.monotonic()
    rng = random.Random(SEED)
    n = {k: max(1, round(v * scale)) for k, v in FULL.items()}
    now = clock.now()
    first_day = now - dt.timedelta(weeks=WEEKS)
    password = make_password(PASSWORD)

    def when(after=None) -> dt.datetime:
        base = after or first_day
        moment = base + dt.timedelta(seconds=rng.random() * max(1.0, (now - base).total_seconds()))
        local = timezone.localtime(moment)
        return local.replace(hour=rng.randint(9, 17), minute=rng.randint(0, 59))

    with transaction.atomic():
        director = User.objects.create(
            username="director", role=Role.DIRECTOR, password=password, display_name="Director"
        )
        # org_services.team_create sets each team's path, which every team scope reads.
        company = org_services.team_create(name="Company", kind=TeamKind.COMPANY, manager=director)
        director.team = company
        director.save()
        reps, teams = [], {}
        for r in range(REGIONS):
            manager = User.objects.create(
                username=f"manager{r}",
                role=Role.MANAGER,
                password=password,
                display_name=f"Manager {r}",
            )
            team = org_services.team_create(
                name=f"Region {r}", kind=TeamKind.REGION, parent=company, manager=manager
            )
            manager.team = team
            manager.save()
            for i in range(REPS_PER_REGION):
                rep = User.objects.create(
                    username=f"rep{r}_{i}",
                    role=Role.REP,
                    team=team,
                    password=password,
                    display_name=f"Rep {r}-{i}",
                )
                reps.append(rep.pk)
                teams[rep.pk] = team.pk
        User.objects.create(
            username="cs", role=Role.CUSTOMER_SUCCESS, team=company, password=password
        )
        channel = Channel.objects.create(name="Website", kind="website")
        install_default_pipeline()
        pipeline = Pipeline.objects.get()
        stages = {s.kind: [] for s in pipeline.stages.all()}
        for s in pipeline.stages.order_by("order"):
            stages[s.kind].append(s.pk)

        accounts = Inserter(Account)
        account_rows = []
        for i in range(n["accounts"]):
            owner = rng.choice(reps)
            created = when()
            accounts.add(
                name=f"测试公司{i}",
                name_key=f"测试公司{i}",
                name_prefix="测试",
                owner_id=owner,
                created_by_id=owner,
                created_at=created,
                updated_at=created,
                industry=rng.choice(["", "manufacturing", "retail"]),
                province=rng.choice(["", "广东", "浙江"]),
                level="C",
            )
        accounts.flush()
        account_rows = list(Account.objects.values_list("pk", "owner_id", "created_at"))
        by_owner: dict = {}
        for pk, owner, created in account_rows:
            by_owner.setdefault(owner, []).append((pk, created))
        contacts = Inserter(Contact)
        for pk, owner, created in account_rows:
            contacts.add(
                account_id=pk,
                name="联系人",
                phone=f"+86137{pk:08d}",
                title=rng.choice(["经理", "-", "无", ""]),
                created_at=created,
                updated_at=created,
                created_by_id=owner,
            )
        contacts.flush()

        leads = Inserter(Lead)
        for i in range(n["leads"]):
            owner = rng.choice(reps)
            created = when()
            # Three in four contacted leads within the hour's SLA, the rest up to 4 days.
            contacted = (
                created
                + dt.timedelta(
                    minutes=rng.uniform(10, 55)
                    if rng.random() < 0.75
                    else rng.uniform(60, 4 * 24 * 60)
                )
                if rng.random() < 0.8
                else None
            )
            if contacted and contacted > now:
                contacted = None
            due = created + dt.timedelta(hours=1)
            if contacted:
                sla = SlaState.MET if contacted <= due else SlaState.LATE
            else:
                sla = SlaState.BREACHED if due <= now else SlaState.RUNNING
            # Most leads older than a month have been converted or closed; the open ones
            # were last touched a day and a half ago on average.
            status = LeadStatus.CONTACTED if contacted else LeadStatus.NEW
            progressed = contacted or created
            if now - created > dt.timedelta(days=30) and rng.random() < 0.8:
                status = LeadStatus.CONVERTED if rng.random() < 0.6 else LeadStatus.INVALID
            else:
                recent = now - dt.timedelta(hours=rng.expovariate(1 / 36))
                progressed = max(progressed, min(recent, now))
            leads.add(
                contact_name=f"客户{i}",
                phone=f"+86139{i:08d}",
                company=f"线索公司{i}",
                need=rng.choice(["无", "需要报价", "-", f"需求{i}"]),
                channel_id=channel.pk,
                owner_id=owner,
                team_id=teams[owner],
                created_by_id=owner,
                created_at=created,
                updated_at=created,
                progressed_at=progressed,
                assigned_at=created,
                first_contact_at=contacted,
                sla_due_at=due,
                sla_state=sla,
                status=status,
                company_key=f"线索公司{i}",
                company_prefix="线索",
            )
        leads.flush()
        lead_rows: dict = {}
        for pk, owner, created in Lead.objects.values_list("pk", "owner_id", "created_at"):
            lead_rows.setdefault(owner, []).append((pk, created))

        for order, (code, zh, en) in enumerate(
            (
                ("demo-booked", "已预约演示", "Demo booked"),
                ("needs-quote", "需要报价", "Quote wanted"),
            )
        ):
            ResultTag.objects.get_or_create(
                code=code, defaults={"label_zh": zh, "label_en": en, "order": order}
            )
        tags = list(
            ResultTag.objects.filter(is_active=True, counts_as_contact=True).values_list(
                "pk", flat=True
            )
        )
        activities = Inserter(Activity)
        for _ in range(n["activities"]):
            owner = rng.choice(reps)
            if rng.random() < 0.3 and lead_rows.get(owner):
                lead, after = rng.choice(lead_rows[owner])
                account = None
            elif by_owner.get(owner):
                account, after = rng.choice(by_owner[owner])
                lead = None
            else:
                continue
            started = when(after)
            activities.add(
                kind="call",
                owner_id=owner,
                created_by_id=owner,
                lead_id=lead,
                account_id=account,
                started_at=started,
                ended_at=started + dt.timedelta(minutes=3),
                duration_seconds=180,
                effective=rng.random() < 0.6,
                tag_id=rng.choice(tags) if tags and rng.random() < CHECKED_IN else None,
                created_at=started,
                updated_at=started,
            )
        activities.flush()

        deals = Inserter(Deal)
        for i in range(n["deals"]):
            owner = rng.choice(reps)
            if not by_owner.get(owner):
                continue
            account, after = rng.choice(by_owner[owner])
            created = when(after)
            roll = rng.random()
            status = (
                DealStatus.WON
                if roll < 0.35
                else DealStatus.LOST
                if roll < 0.5
                else DealStatus.OPEN
            )
            closed = (
                created + dt.timedelta(days=rng.uniform(3, 90))
                if status != DealStatus.OPEN
                else None
            )
            if closed and closed > now:
                closed, status = None, DealStatus.OPEN
            # An open deal moved into its stage lately; it stalls 7 days after (about 5
            # working days, the default): the stalled check finds some of them.
            entered = (
                now - dt.timedelta(days=rng.uniform(0, 20))
                if status == DealStatus.OPEN
                else created
            )
            kind = {DealStatus.WON: StageKind.WON, DealStatus.LOST: StageKind.LOST}.get(
                status, StageKind.OPEN
            )
            lead = (
                rng.choice(lead_rows[owner])[0]
                if rng.random() < 0.5 and lead_rows.get(owner)
                else None
            )
            # D8: need, budget and decision maker confirmed on 40 % of the open deals (the
            # target coverage check's qualified pipeline).
            qualified = status == DealStatus.OPEN and rng.random() < 0.4
            deals.add(
                name=f"商机{i}",
                account_id=account,
                owner_id=owner,
                created_by_id=owner,
                lead_id=lead,
                pipeline_id=pipeline.pk,
                stage_id=rng.choice(stages[kind]),
                stage_entered_at=max(entered, created),
                stall_due_at=max(entered, created) + dt.timedelta(days=7)
                if status == DealStatus.OPEN
                else None,
                status=status,
                amount=rng.randint(1, 100) * 10000,
                closed_at=closed,
                created_at=created,
                updated_at=closed or created,
                expected_close_date=(created + dt.timedelta(days=30)).date(),
                need_confirmed=qualified,
                budget_confirmed=qualified,
                decision_maker_identified=qualified,
            )
        deals.flush()

        complaints = Inserter(Complaint)
        for _ in range(n["complaints"]):
            owner = rng.choice(reps)
            if not by_owner.get(owner):
                continue
            account, after = rng.choice(by_owner[owner])
            raised = when(after)
            complaints.add(
                account_id=account,
                owner_id=owner,
                summary="投诉",
                raised_on=raised.date(),
                severity="minor",
                status="open",
                created_at=raised,
                updated_at=raised,
                created_by_id=owner,
            )
        complaints.flush()

        seen = Inserter(SeenDay)
        day = first_day.date()
        while day <= now.date():
            if day.weekday() < 5:
                for rep in reps:
                    if rng.random() < 0.85:
                        seen.add(user_id=rep, day=day)
            day += dt.timedelta(days=1)
        seen.flush()

        snapshots = Inserter(ForecastSnapshot)
        month = first_day.date().replace(day=1)
        while month <= now.date():
            for rep in reps:
                weighted = rng.randint(1, 50) * 10000
                snapshots.add(
                    taken_on=month,
                    owner_id=rep,
                    team_id=teams[rep],
                    period_start=month,
                    deals=3,
                    amount=weighted * 2,
                    weighted=weighted,
                    commit=0,
                    best_case=0,
                    pipeline=weighted,
                )
            month = (month + dt.timedelta(days=32)).replace(day=1)
        snapshots.flush()
        extras = diagnosis_data.build(
            rng=rng, now=now, reps=reps, teams=teams, company=company, director=director
        )
    if common.db_vendor() == "postgresql":
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    seconds = round(time.monotonic() - began, 1)
    common.write_meta(META_TABLE, DATA_VERSION, scale, seconds)
    counts = {
        "reps": len(reps),
        "accounts": accounts.count,
        "contacts": contacts.count,
        "leads": leads.count,
        "activities": activities.count,
        "deals": deals.count,
        "complaints": complaints.count,
        "seen_days": seen.count,
        **extras,
    }
    print(f"built in {seconds} s: {counts}", flush=True)
    return {"seconds": seconds, **counts}


def ensure(scale: float) -> dict | None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    meta = _meta()
    if meta and meta[0] == DATA_VERSION and meta[1] == scale:
        return None
    if meta:
        sys.exit("this database holds another data version or scale; remove it first")
    return build(scale)
