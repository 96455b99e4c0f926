"""The incentives benchmark's own data (``bench/incentives.py``): customer-success
activities with durations on the reps' accounts, and the payout ledger — 10,000,000 lines
over 36 months written with ``executemany`` in chunks (the ledger's triggers refuse only
UPDATE and DELETE), ≈ 300,000 tranches still open."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import targets_data

CS_USERS = 10
LEDGER_MONTHS = 36
LOCKED_BEFORE = 3  # the months before the last three closed ones are approved and locked


def months_back(today: dt.date, n: int) -> dt.date:
    """The first day of the month ``n`` months before ``today``'s."""
    index = today.year * 12 + today.month - 1 - n
    return dt.date(index // 12, index % 12 + 1, 1)


def build_cs(rng, now, books, count: int) -> dict:
    """Customer-success users and their activities with durations on the reps' accounts
    over the last 36 months (some months a rep's accounts get many hours, some few)."""
    from salesops.activities.models import Activity, ActivityKind
    from salesops.org.models import Role, Team, User

    company = Team.objects.filter(parent__isnull=True).first()
    users = [
        User(
            username=f"cs{n:02d}",
            role=Role.CUSTOMER_SUCCESS,
            display_name=f"客户成功{n:02d}",
            team=company,
            date_joined=now,
        )
        for n in range(1, CS_USERS + 1)
    ]
    User.objects.bulk_create(users)
    accounts = [account for rows in books.values() for account, *_ in rows]
    out = targets_data.Inserter(Activity, with_id=False)
    for _n in range(count):
        started = now - dt.timedelta(days=rng.randrange(LEDGER_MONTHS * 30), hours=rng.randrange(9))
        seconds = rng.choice((1800, 3600, 5400, 7200, 10800, 14400))
        out.add(
            Activity(
                kind=rng.choice((ActivityKind.VISIT, ActivityKind.MEETING, ActivityKind.CALL)),
                owner_id=users[rng.randrange(len(users))].pk,
                account_id=accounts[rng.randrange(len(accounts))],
                started_at=started,
                ended_at=started + dt.timedelta(seconds=seconds),
                duration_seconds=seconds,
                duration_source="manual",
                note="实施回访",
                created_at=started,
                updated_at=started,
            )
        )
    out.flush()
    return {"cs_users": len(users), "cs_activities": out.count}


LINE_COLUMNS = (
    "id", "rep_id", "period", "kind", "state", "tranche", "amount", "base", "coefficient",
    "percent", "formula", "condition", "due_on", "explanation", "settles_id", "contract_id",
    "account_id", "key", "reason", "created_at",
)  # fmt: skip
SPLIT = (("payment", Decimal("50")), ("quality", Decimal("30")), ("renewal", Decimal("20")))
CONDITIONS = {
    "payment": "回款到账后释放",
    "quality": "6个月内无重大投诉后释放",
    "renewal": "12个月续约后释放",
}


class _Ledger:
    """Ledger and open-tranche rows by ``executemany`` in chunks, ids given."""

    def __init__(self, first_id: int):
        from django.db import connection

        from salesops.incentives.models import LedgerLine, OpenTranche

        quote = connection.ops.quote_name
        self.connection = connection
        self.next_id = first_id
        self.rows, self.open_rows, self.count, self.open_count = [], [], 0, 0
        columns = ", ".join(quote(c) for c in LINE_COLUMNS)
        marks = ", ".join(["%s"] * len(LINE_COLUMNS))
        self.sql = f"INSERT INTO {quote(LedgerLine._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
        open_columns = (
            "line_id",
            "tranche",
            "rep_id",
            "contract_id",
            "account_id",
            "starts_on",
            "due_on",
        )
        self.open_sql = (
            f"INSERT INTO {quote(OpenTranche._meta.db_table)} "  # noqa: S608
            f"({', '.join(quote(c) for c in open_columns)}) VALUES ({', '.join(['%s'] * 7)})"
        )

    def line(self, rep, period, kind, state, amount, **extra) -> int:
        pk = self.next_id
        self.next_id += 1
        explanation = extra.pop("explanation", {})
        row = {
            "id": pk, "rep_id": rep, "period": period, "kind": kind, "state": state,
            "tranche": "", "amount": str(amount), "base": None, "coefficient": None,
            "percent": None, "formula": "", "condition": "", "due_on": None,
            "explanation": json.dumps(explanation, ensure_ascii=False), "settles_id": None,
            "contract_id": None, "account_id": None, "key": f"bench:{pk}", "reason": "",
            "created_at": dt.datetime.combine(period, dt.time(12), tzinfo=dt.UTC),
        }  # fmt: skip
        row.update(extra)
        self.rows.append(tuple(row[c] for c in LINE_COLUMNS))
        if len(self.rows) >= targets_data.BATCH:
            self.flush()
        return pk

    def open(self, pk, tranche, rep, contract, account, starts_on, due_on) -> None:
        self.open_rows.append((pk, tranche, rep, contract, account, starts_on, due_on))

    def flush(self) -> None:
        with self.connection.cursor() as cursor:
            if self.rows:
                cursor.executemany(self.sql, self.rows)
                self.count += len(self.rows)
                self.rows = []
            if self.open_rows:
                cursor.executemany(self.open_sql, self.open_rows)
                self.open_count += len(self.open_rows)
                self.open_rows = []


def build_ledger(rng, today: dt.date, want_lines: int, want_open: int) -> dict:
    """≈ ``want_lines`` ledger lines over the 36 months before the current one (see the
    module docstring), ≈ ``want_open`` tranches still open, due after ``today``."""
    from salesops.incentives.models import LedgerLine, PayoutPeriod, PeriodState
    from salesops.org.models import Role, User
    from salesops.revenue.models import Contract

    reps = list(User.objects.filter(role=Role.REP).order_by("pk").values_list("pk", flat=True))
    contracts = list(Contract.objects.values_list("pk", "account_id", "owner_id"))
    by_rep: dict[int, list] = {}
    for pk, account, owner in contracts:
        by_rep.setdefault(owner, []).append((pk, account))
    months = [months_back(today, n) for n in range(LEDGER_MONTHS, 0, -1)]
    last = months[-1]
    # Lines per deal ≈ 3 tranches + their settlements; plus a monthly (and quarterly) reward.
    per_rep_month = want_lines / (len(reps) * len(months))
    deals_mean = max(0.1, (per_rep_month - 1.4) / 5.6)
    ledger = _Ledger(
        (LedgerLine.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    )
    open_left = want_open
    for month_no, month in enumerate(months):
        for rep in reps:
            book = by_rep.get(rep) or [c[:2] for c in contracts[:50]]
            coefficient = Decimal(rng.randint(80, 125)) / 100
            deals = int(deals_mean) + (rng.random() < deals_mean % 1)
            for _d in range(deals):
                contract, account = book[rng.randrange(len(book))]
                base = Decimal(rng.randrange(2_000, 40_000))
                for n, (tranche, share) in enumerate(SPLIT):
                    amount = (base * coefficient * share / 100).quantize(Decimal("0.01"))
                    due = months_back(month, -(0, 6, 12)[n]) if n else None
                    fields = {
                        "tranche": tranche, "base": str(base), "coefficient": str(coefficient),
                        "percent": str(share), "formula": "base * coefficient",
                        "condition": CONDITIONS[tranche], "due_on": due,
                        "contract_id": contract, "account_id": account,
                        "explanation": {"inputs": {"base": str(base), "coefficient": str(coefficient)}},
                    }  # fmt: skip
                    pk = ledger.line(rep, month, "tranche", "pending", amount, **fields)
                    settle_month = month if due is None else due
                    if settle_month > last or (tranche == "payment" and month == last):
                        if open_left > 0 and (due is None or due > today):
                            ledger.open(pk, tranche, rep, contract, account, month, due)
                            open_left -= 1
                            continue
                        settle_month = last  # the contract ended early: forfeited
                        forfeit = True
                    else:
                        forfeit = tranche == "quality" and rng.random() < 0.08
                    ledger.line(
                        rep, settle_month, "forfeit" if forfeit else "release",
                        "forfeited" if forfeit else "earned", amount, **{**fields, "settles_id": pk},
                    )  # fmt: skip
            ledger.line(rep, month, "monthly", "earned", Decimal(rng.randrange(500, 3_000)))
            if month.month % 3 == 0:
                ledger.line(rep, month, "quarterly", "earned", Decimal(rng.randrange(2_000, 9_000)))
            if rng.random() < 0.05:
                ledger.line(rep, month, "mentor", "earned", Decimal(rng.randrange(100, 1_500)))
            if rng.random() < 0.01:
                ledger.line(rep, month, "adjustment", "earned", Decimal(-rng.randrange(50, 500)),
                            reason="补录上月漏算的回款")  # fmt: skip
        if month_no < len(months) - LOCKED_BEFORE:
            PayoutPeriod.objects.update_or_create(
                month=month, defaults={"state": PeriodState.LOCKED, "totals": {"bench": True}}
            )
    ledger.flush()
    return {"ledger_lines": ledger.count, "open_tranches": ledger.open_count}
