"""The demo's incentives (SPEC I1–I7), as finance has them half a year after switching
them on: the default plans, a mentor pair (a senior rep mentoring a newer one), the
month-end run of each of the last six closed months in order, each followed by the
tranche sweep of its last day (so payment tranches are released as payments arrive), a
major complaint that forfeits a quality tranche, a won renewal, customer-success visits
with durations (some reps reach 6 points, the others' coefficient is capped at 0.9), the
oldest three months approved and locked by the finance login and one adjustment with its
reason in the current month.

Everything goes through the incentives services, so the statements show what a person
gets by running the months on the pages.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from salesops.activities import rollup as activity_rollup
from salesops.activities.models import Activity, ActivityKind
from salesops.aftersales.models import Complaint, ComplaintStatus, Renewal, RenewalStatus, Severity
from salesops.core import clock
from salesops.incentives import adjustments, defaults, mentors, monthend, periods, tranches
from salesops.org.models import Role, User
from salesops.revenue.models import SIGNED_STATUSES, Contract

MONTHS = 6
LOCKED = 3
CS_HOURS = (3, 2)  # hours of one customer-success visit: long on some accounts, short on others


def _month_back(today: dt.date, n: int) -> dt.date:
    index = today.year * 12 + today.month - 1 - n
    return dt.date(index // 12, index % 12 + 1, 1)


def _month_end(month: dt.date) -> dt.date:
    return _month_back(month, -1) - dt.timedelta(days=1)


def _cs_visits(rng, cs, months: list[dt.date], now) -> int:
    """Visits of the customer-success login on the customers of half the reps: 3 h each,
    four a month (12 h = 6 points); the other half's customers get one 2-hour call a month
    (1 point: their coefficient is capped at 0.9)."""
    reps = list(User.objects.filter(role=Role.REP, is_active=True).order_by("username"))
    customers = dict(
        Contract.objects.filter(status__in=SIGNED_STATUSES)
        .order_by("owner_id", "account_id")
        .values_list("owner_id", "account_id")
        .distinct()
    )
    visits = []
    for n, rep in enumerate(reps):
        account = customers.get(rep.pk)
        if account is None:
            continue
        long = n % 2 == 0
        for month in months:
            for day in (5, 12, 19, 26) if long else (12,):
                started = dt.datetime.combine(
                    month.replace(day=day), dt.time(10, rng.randrange(0, 50)), tzinfo=now.tzinfo
                )
                if started > now:
                    continue
                seconds = 3600 * CS_HOURS[0 if long else 1]
                visits.append(
                    Activity(
                        kind=ActivityKind.VISIT if long else ActivityKind.CALL,
                        owner=cs,
                        account_id=account,
                        started_at=started,
                        ended_at=started + dt.timedelta(seconds=seconds),
                        duration_seconds=seconds,
                        duration_source="manual",
                        note="实施回访",
                        created_by=cs,
                        created_at=started,
                        updated_at=started,
                    )
                )
    Activity.objects.bulk_create(visits)
    activity_rollup.rebuild()
    return len(visits)


def _events(months: list[dt.date], today: dt.date) -> dict:
    """A major complaint inside the quiet period of a contract signed in the first demo
    month (its quality tranche is forfeited) and a won renewal of another one."""
    signed = list(
        Contract.objects.filter(
            status__in=SIGNED_STATUSES,
            signed_on__gte=months[0],
            signed_on__lte=_month_end(months[1]),
        )
        .select_related("account")
        .order_by("signed_on", "pk")[:2]
    )
    counts: dict = {"accounts": []}
    accounts = counts["accounts"]
    if signed:
        first = signed[0]
        Complaint.objects.create(
            account=first.account,
            severity=Severity.MAJOR,
            status=ComplaintStatus.OPEN,
            summary="上线后系统多次宕机，影响生产",
            raised_on=min(first.signed_on + dt.timedelta(days=75), today),
            owner=first.account.owner,
            created_by=first.account.owner,
        )
        counts["major complaints (forfeit)"] = 1
        accounts.append(first.account_id)
    if len(signed) > 1:
        second = signed[1]
        Renewal.objects.create(
            account=second.account,
            contract_number=second.number,
            due_on=second.end_on or today,
            status=RenewalStatus.RENEWED,
            amount=(second.amount * Decimal("1.10")).quantize(Decimal("1")),
            closed_on=today,
            created_by=second.account.owner,
        )
        counts["won renewals"] = 1
        accounts.append(second.account_id)
    return counts


def build_incentives(gen) -> dict:
    rng = gen.rng
    now, today = clock.now(), clock.today()
    admin = User.objects.get(username="admin")
    finance = User.objects.get(username="finance")
    cs = User.objects.get(username="cs")
    months = [_month_back(today, n) for n in range(MONTHS, 0, -1)]
    defaults.install()
    reps = list(User.objects.filter(role=Role.REP, is_active=True).order_by("username"))
    counts: dict = {}
    if len(reps) >= 2:
        senior, newcomer = reps[0], reps[-1]
        mentors.create_pair(
            by=admin,
            mentor=senior,
            mentee=newcomer,
            starts_on=months[0],
            note="新人带教：方案讲解与客户拜访",
        )
        counts["mentor pairs"] = 1
    counts["customer-success visits"] = _cs_visits(rng, cs, months, now)
    events = _events(months, today)
    queued = events.pop("accounts")
    counts.update(events)
    lines = 0
    for month in months:
        last_day = _month_end(month)
        with clock.frozen(dt.datetime.combine(last_day, dt.time(23), tzinfo=now.tzinfo)):
            run = monthend.run_month(month, by=admin)
            lines += int((run.summary or {}).get("lines", 0))
            tranches.sweep(last_day)
    # The complaint and the renewal reach the sweep as their events would have queued them.
    tranches.queue_accounts(queued)
    tranches.sweep(today)
    for month in months[:LOCKED]:
        periods.approve(month, by=finance)
    if reps:
        adjustments.create(
            by=finance,
            rep_id=reps[1 % len(reps)].pk,
            amount=Decimal("800.00"),
            reason="上月一笔回款晚到账，补发首期奖金（财务核对回款单）",
        )
        counts["adjustments"] = 1
    counts["incentive runs"] = len(months)
    counts["incentive lines (runs)"] = lines
    return counts
