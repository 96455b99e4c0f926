"""Finance feed benchmark: records per second through ``POST /api/v1/feed/batch``.

    .venv/bin/python bench/revenue.py                 # SQLite file var/bench-revenue.sqlite3
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_revenue .venv/bin/python bench/revenue.py

Every run starts from a fresh database (SQLite file deleted, PostgreSQL database dropped
and created), migrates it and builds: 50 reps, ``--accounts`` accounts with an ERP
``external_id`` and ``--contracts`` signed contracts (a three-instalment plan each).
The requests go through Django's test client in this process (the full ninja stack:
token authentication, JSON parsing, schema, the feed, the services, history, events
after commit) — not over a socket, so the web server's own cost is not included.

Batches of ``--batch`` (1,000) records, mixed as an ERP sends them: 60 % payments
(``contract_external_id`` references, a third settling an instalment by number), 20 %
invoices, 10 % delivery milestones and 10 % new contracts with a plan (referring to their
account by ``account_external_id``). Figures:

* ``create`` — ``--batches`` batches of new records: records/s over all of them, and the
  slowest batch's seconds.
* ``resend`` — the same batches sent again: every record "unchanged" (found, compared,
  nothing written).

Target: ≥ 2,000 records/s for ``create``.

Account 360 (``--a360-records``, 1,000): one more account gets that many related records
(10 % contracts with a three-instalment plan, 30 % payments, 15 % invoices, 10 % delivery
milestones, 10 % service tickets, 10 % NPS answers, 5 % complaints, 10 % renewals), its
LTV is computed, and ``/customers/accounts/<id>/360/`` and ``/api/v1/accounts/<id>/360``
are requested ``--a360-samples`` times each through Django's test client, logged in as
the owning rep (and the page as the director). Figures: p50/p95 ms and the query count of
one request. Target: page p95 < 200 ms with a bounded query count. ``--only a360`` skips
the feed.

Result: ``bench/results/revenue-<db>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

NAME = "revenue"
TARGET = 2000.0
SQLITE_FILE = common.ROOT / "var" / "bench-revenue.sqlite3"
VAR = common.ROOT / "var" / "bench-revenue"
TRANSPORT = "django test client (in process, full stack, no socket)"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--contracts", type=int, default=2000)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--a360-records", type=int, default=1000)
    parser.add_argument("--a360-samples", type=int, default=50)
    parser.add_argument("--only", choices=("all", "feed", "a360"), default="all")
    return parser.parse_args()


def fresh_database(url: str) -> None:
    if url.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def build(accounts: int, contracts: int):
    import datetime as dt
    from decimal import Decimal

    from salesops.customers.models import Account
    from salesops.customers.tests.factories import AccountFactory
    from salesops.org.models import Role, User
    from salesops.org.tests.factories import UserFactory
    from salesops.revenue.tests.factories import ContractFactory

    # password=None: an unusable password, no hashing (the bench logs in by token)
    reps = User.objects.bulk_create(
        UserFactory.build(username=f"rep{i}", display_name=f"Rep {i}", password=None)
        for i in range(50)
    )
    finance = UserFactory(
        username="finance", role=Role.FINANCE, display_name="Finance", password=None
    )
    Account.objects.bulk_create(
        (
            AccountFactory.build(owner=reps[i % len(reps)], external_id=f"C{i}")
            for i in range(accounts)
        ),
        batch_size=1000,
    )
    by_ext = {a.external_id: a for a in Account.objects.all()}
    plan = [
        {"due_on": dt.date(2026, 1, 15), "percent": "30"},
        {"due_on": dt.date(2026, 6, 30), "percent": "60"},
        {"due_on": dt.date(2026, 12, 31), "percent": "10"},
    ]
    for i in range(contracts):
        ContractFactory(
            actor=finance,
            account=by_ext[f"C{i % accounts}"],
            number=f"HT-{i:06d}",
            external_id=f"K{i}",
            amount=Decimal("1000000.00"),
            status="signed",
            signed_on=dt.date(2026, 1, 5),
            instalments=plan,
        )
    return finance


def records(batch_no: int, size: int, contracts: int, accounts: int) -> list[dict]:
    out = []
    for j in range(size):
        n = batch_no * size + j
        contract = f"K{n % contracts}"
        slot = j % 10
        if slot < 6:
            data = {
                "contract_external_id": contract,
                "amount": "100.00",
                "received_on": "2026-02-01",
                "method": "bank_transfer",
                "reference": f"B{n}",
            }
            if slot < 2:
                data["instalment_sequence"] = 1
            out.append({"kind": "payment", "external_id": f"P{n}", "data": data})
        elif slot < 8:
            out.append(
                {
                    "kind": "invoice",
                    "external_id": f"I{n}",
                    "data": {
                        "contract_external_id": contract,
                        "number": f"FP{n:09d}",
                        "amount": "100.00",
                        "issued_on": "2026-02-02",
                    },
                }
            )
        elif slot < 9:
            out.append(
                {
                    "kind": "delivery",
                    "external_id": f"D{n}",
                    "data": {
                        "contract_external_id": contract,
                        "name": "上线",
                        "planned_week": "2026-W20",
                    },
                }
            )
        else:
            out.append(
                {
                    "kind": "contract",
                    "external_id": f"NK{n}",
                    "data": {
                        "account_external_id": f"C{n % accounts}",
                        "number": f"NHT-{n:07d}",
                        "amount": "500000.00",
                        "status": "signed",
                        "signed_on": "2026-01-10",
                        "instalments": [
                            {"due_on": "2026-02-01", "percent": 40},
                            {"due_on": "2026-08-01", "percent": 60},
                        ],
                    },
                }
            )
    return out


def send_all(client, bodies: list[bytes], expect: str) -> dict:
    seconds = []
    total = 0
    for body in bodies:
        started = time.perf_counter()
        response = client.post("/api/v1/feed/batch", data=body, content_type="application/json")
        seconds.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"batch failed: {response.status_code} {response.content[:500]!r}")
        result = response.json()
        if result["counts"][expect] != len(result["results"]):
            bad = [r for r in result["results"] if r["status"] != expect][:3]
            raise SystemExit(f"expected every record {expect}: {result['counts']} {bad}")
        total += len(result["results"])
    elapsed = sum(seconds)
    return {
        "records": total,
        "seconds": round(elapsed, 2),
        "records_per_s": round(total / elapsed, 1),
        "slowest_batch_s": round(max(seconds), 3),
    }


A360_TARGET_MS = 200.0


def build_a360_account(records: int):
    """One rep's account with ``records`` related records (bulk inserted: the page reads)."""
    import datetime as dt
    from decimal import Decimal

    from salesops.aftersales.models import Complaint, NpsResponse, Renewal, ServiceTicket
    from salesops.aftersales.tests.factories import (
        ComplaintFactory,
        NpsResponseFactory,
        RenewalFactory,
        ServiceTicketFactory,
    )
    from salesops.core import clock
    from salesops.customers.models import Contact
    from salesops.customers.tests.factories import AccountFactory, ContactFactory
    from salesops.org.models import Role
    from salesops.org.tests.factories import UserFactory
    from salesops.revenue.models import Contract, Delivery, Instalment, Invoice, Payment
    from salesops.revenue.tests.factories import (
        ContractFactory,
        DeliveryFactory,
        InstalmentFactory,
        InvoiceFactory,
        PaymentFactory,
    )

    rep = UserFactory(username="a360rep", display_name="Rep 360", role=Role.REP, password=None)
    director = UserFactory(
        username="a360dir", display_name="Director", role=Role.DIRECTOR, password=None
    )
    account = AccountFactory.build(name="三六零测试有限公司", owner=rep, external_id="A360")
    account.save()
    Contact.objects.bulk_create(
        ContactFactory.build(account=account, name=f"联系人{i}", phone="", decision_role=role)
        for i, role in enumerate(("signatory", "it_lead", "finance_approver", "user"))
    )
    today = clock.today()
    share = {
        k: max(1, records * v // 100)
        for k, v in dict(
            contracts=10,
            payments=30,
            invoices=15,
            deliveries=10,
            tickets=10,
            nps=10,
            complaints=5,
            renewals=10,
        ).items()
    }
    contracts = Contract.objects.bulk_create(
        ContractFactory.build(
            number=f"A360-{i:05d}",
            account=account,
            owner=rep,
            amount=Decimal("100000.00"),
            status="signed",
            signed_on=today - dt.timedelta(days=400 - i),
        )
        for i in range(share["contracts"])
    )
    Instalment.objects.bulk_create(
        InstalmentFactory.build(
            contract=c,
            sequence=n + 1,
            due_on=today + dt.timedelta(days=days),
            percent=Decimal(p),
            amount=Decimal(p) * 1000,
        )
        for c in contracts
        for n, (days, p) in enumerate(((-200, "30"), (-20, "60"), (100, "10")))
    )
    Payment.objects.bulk_create(
        PaymentFactory.build(
            contract=contracts[i % len(contracts)],
            account=account,
            amount=Decimal("9000.00"),
            received_on=today - dt.timedelta(days=i % 300),
        )
        for i in range(share["payments"])
    )
    Invoice.objects.bulk_create(
        InvoiceFactory.build(
            number=f"A360I{i:06d}",
            contract=contracts[i % len(contracts)],
            account=account,
            amount=Decimal("9000.00"),
            issued_on=today - dt.timedelta(days=i % 300),
        )
        for i in range(share["invoices"])
    )
    Delivery.objects.bulk_create(
        DeliveryFactory.build(
            contract=contracts[i % len(contracts)],
            account=account,
            name=f"里程碑{i}",
            sequence=i,
            planned_week="2026-W10",
            status="done" if i % 2 else "planned",
            actual_week="2026-W12" if i % 2 else "",
        )
        for i in range(share["deliveries"])
    )
    now = clock.now()
    ServiceTicket.objects.bulk_create(
        ServiceTicketFactory.build(
            account=account,
            subject=f"工单{i}",
            opened_at=now - dt.timedelta(hours=i * 7),
            response_working_minutes=30 + i % 90,
            response_hours=Decimal("1.50"),
        )
        for i in range(share["tickets"])
    )
    NpsResponse.objects.bulk_create(
        NpsResponseFactory.build(
            account=account,
            score=i % 11,
            responded_on=today - dt.timedelta(days=(i * 4) % 360),
        )
        for i in range(share["nps"])
    )
    Complaint.objects.bulk_create(
        ComplaintFactory.build(
            account=account,
            owner=rep,
            summary=f"投诉{i}",
            severity="major" if i % 5 == 0 else "minor",
            raised_on=today,
        )
        for i in range(share["complaints"])
    )
    Renewal.objects.bulk_create(
        RenewalFactory.build(
            account=account, due_on=today + dt.timedelta(days=i), amount=Decimal("5000.00")
        )
        for i in range(share["renewals"])
    )
    return account, rep, director, sum(share.values())


def measure_a360(records: int, samples: int) -> dict:
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from salesops.org.services import api_token_create
    from salesops.reports import ltv

    account, rep, director, made = build_a360_account(records)
    ltv_ms = [common.timed(ltv.ltv_recompute, account=account)[1] for _ in range(10)]
    page_url = f"/customers/accounts/{account.pk}/360/"
    api_url = f"/api/v1/accounts/{account.pk}/360"
    out = {
        "records": made,
        "samples": samples,
        "ltv_recompute_ms_p50": round(common.percentile(ltv_ms, 50), 1),
    }
    _, key = api_token_create(user=rep, name="bench-a360")
    cases = {
        "page_rep": (Client(), rep, page_url),
        "page_director": (Client(), director, page_url),
        "api_rep": (Client(headers={"Authorization": f"Bearer {key}"}), None, api_url),
    }
    for name, (client, user, url) in cases.items():
        if user is not None:
            client.force_login(user)
        for _ in range(3):  # warm-up: imports, template loading, session
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
        reset_queries()  # the captured list is a slice of this log, read later
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        query_count = len(queries)
        times = [common.timed(client.get, url)[1] for _ in range(samples)]
        out[name] = {
            "p50_ms": round(common.percentile(times, 50), 1),
            "p95_ms": round(common.percentile(times, 95), 1),
            "queries": query_count,
        }
    out["target_p95_ms"] = A360_TARGET_MS
    out["meets_target"] = out["page_rep"]["p95_ms"] < A360_TARGET_MS
    return out


def main():
    args = parse_args()
    os.environ["SALESOPS_VAR_DIR"] = str(VAR)
    VAR.mkdir(parents=True, exist_ok=True)
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{SQLITE_FILE}"
    fresh_database(url)
    common.setup_django(url)
    from django.core.management import call_command
    from django.test import Client

    from salesops.org.services import api_token_create

    call_command("migrate", verbosity=0, interactive=False)
    if args.only == "a360":
        a360 = measure_a360(args.a360_records, args.a360_samples)
        common.write_result(
            NAME, {"transport": TRANSPORT, "account_360": a360}, summary=_a360_line(a360)
        )
        return
    started = time.perf_counter()
    finance = build(args.accounts, args.contracts)
    print(
        f"set-up: {args.accounts:,} accounts, {args.contracts:,} contracts "
        f"in {time.perf_counter() - started:.1f} s"
    )
    _, key = api_token_create(user=finance, name="bench")
    client = Client(headers={"Authorization": f"Bearer {key}"})
    bodies = [
        json.dumps(
            {"source": "bench", "records": records(b, args.batch, args.contracts, args.accounts)}
        ).encode()
        for b in range(args.batches)
    ]
    # Warm-up (imports, first queries), not counted: a small batch of its own records.
    warm = records(10**6, 20, args.contracts, args.accounts)
    send_all(client, [json.dumps({"records": warm}).encode()], "created")
    create = send_all(client, bodies, "created")
    resend = send_all(client, bodies, "unchanged")
    figures = {
        "transport": TRANSPORT,
        "batch_size": args.batch,
        "mix": "60% payments, 20% invoices, 10% milestones, 10% contracts with a plan",
        "create": create,
        "resend_unchanged": resend,
        "target_records_per_s": TARGET,
        "meets_target": create["records_per_s"] >= TARGET,
    }
    summary = (
        f"create {create['records_per_s']:,.0f} records/s "
        f"(slowest batch {create['slowest_batch_s']} s), "
        f"resend {resend['records_per_s']:,.0f} records/s; target ≥ {TARGET:,.0f} "
        f"{'met' if figures['meets_target'] else 'NOT met'}"
    )
    if args.only == "all":
        figures["account_360"] = measure_a360(args.a360_records, args.a360_samples)
        summary += "; " + _a360_line(figures["account_360"])
    common.write_result(NAME, figures, summary=summary)


def _a360_line(a360: dict) -> str:
    page = a360["page_rep"]
    return (
        f"account 360 ({a360['records']:,} records): page p50 {page['p50_ms']} ms, "
        f"p95 {page['p95_ms']} ms, {page['queries']} queries; target p95 < "
        f"{A360_TARGET_MS:.0f} ms {'met' if a360['meets_target'] else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
