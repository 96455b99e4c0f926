"""What the month-end run reads from the other apps (SPEC I1, T5), in grouped queries:
the KPI scores, the targets and what was achieved toward them, the contracts signed, the
first contracts with hard accounts and the process-health awards of a quarter.

Each reader returns values per rep plus the records behind them (``{"model", "id",
"label"}``), so every line the run writes links what it was computed from (P4).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from salesops.kpi.models import RepScore
from salesops.kpi.models import RunState as ScoreState
from salesops.revenue.models import SIGNED_STATUSES, Contract
from salesops.targets import health, measures
from salesops.targets.models import Allocation, AwardEntitlement, PlanState, TargetPolicy

from . import ledger

ZERO = Decimal("0.00")
RATIO = Decimal("0.0001")
SCORE = Decimal("0.01")


def record(model: str, pk: int, label) -> dict:
    return {"model": model, "id": pk, "label": str(label)}


def last_day(month: dt.date) -> dt.date:
    return ledger.next_month(month) - dt.timedelta(days=1)


def add_months(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


# --- fiscal calendar ----------------------------------------------------------------------


def fiscal_year_of(month: dt.date, policy: TargetPolicy) -> int:
    start = policy.fiscal_year_start_month
    return month.year if month.month >= start else month.year - 1


def quarter_ending(month: dt.date, policy: TargetPolicy) -> tuple[int, int, list[dt.date]] | None:
    """``(fiscal year, quarter, its three months)`` when ``month`` ends a fiscal quarter."""
    year = fiscal_year_of(month, policy)
    quarter = measures.quarter_of(month, year, policy)
    first = add_months(measures.fiscal_start(year, policy), (quarter - 1) * 3)
    if add_months(first, 2) != month:
        return None
    return year, quarter, [first, add_months(first, 1), month]


# --- KPI scores ---------------------------------------------------------------------------


def kpi_scores(rep_ids, months: list[dt.date]) -> dict[int, tuple[Decimal, list[dict]]]:
    """Each rep's KPI score averaged over ``months`` (the month's run: final preferred,
    else live; months without a score are left out; 0 without any)."""
    rows = RepScore.objects.filter(
        user_id__in=list(rep_ids),
        run__period_start__in=months,
        run__state__in=[ScoreState.FINAL, ScoreState.LIVE],
    ).values_list(
        "user_id", "run_id", "run__period_start", "run__period_end", "run__state", "score"
    )
    best: dict[tuple[int, dt.date], tuple] = {}
    for user_id, run_id, start, end, state, score in rows:
        if end != last_day(start):
            continue  # not a monthly run
        current = best.get((user_id, start))
        if current is None or (state == ScoreState.FINAL and current[1] != ScoreState.FINAL):
            best[(user_id, start)] = (run_id, state, score)
    per_rep: dict[int, list] = defaultdict(list)
    for (user_id, start), (run_id, _state, score) in sorted(best.items()):
        per_rep[user_id].append((Decimal(score), record("kpi.scorerun", run_id, f"{start:%Y-%m}")))
    result = {}
    for user_id, items in per_rep.items():
        average = (sum((s for s, _r in items), Decimal(0)) / len(items)).quantize(SCORE)
        result[user_id] = (average, [r for _s, r in items])
    return result


# --- targets ------------------------------------------------------------------------------


def targets(
    rep_ids, months: list[dt.date], policy: TargetPolicy
) -> dict[int, tuple[Decimal, Decimal, list[dict]]]:
    """Each rep's target over ``months`` (the published plans' allocations in force, the
    deepest plan per product line) and what they achieved toward it (the plan's measure)."""
    year = fiscal_year_of(months[0], policy)
    allocations = Allocation.objects.filter(
        rep_id__in=list(rep_ids), plan__state=PlanState.PUBLISHED, plan__fiscal_year=year
    ).select_related("plan", "plan__team")
    chosen: dict[tuple[int, str], Allocation] = {}
    for allocation in allocations:
        if allocation.version != allocation.plan.version:
            continue
        key = (allocation.rep_id, allocation.plan.product_line)
        current = chosen.get(key)
        if current is None or len(allocation.plan.team.path) > len(current.plan.team.path):
            chosen[key] = allocation
    fiscal = measures.fiscal_months(year, policy)
    by_plan: dict[int, list[Allocation]] = defaultdict(list)
    for allocation in chosen.values():
        by_plan[allocation.plan_id].append(allocation)
    result: dict[int, list] = {}
    for items in by_plan.values():
        plan = items[0].plan
        achieved = measures.by_owner(
            plan.measure,
            start=months[0],
            end=ledger.next_month(months[-1]),
            product_line=plan.product_line,
            owner_ids=[a.rep_id for a in items],
        )
        for allocation in items:
            per_month = dict(
                zip(
                    fiscal,
                    health.monthly_amounts(allocation.monthly, allocation.amount, fiscal),
                    strict=True,
                )
            )
            target = sum((per_month.get(m, ZERO) for m in months), ZERO)
            entry = result.setdefault(allocation.rep_id, [ZERO, ZERO, []])
            entry[0] += target
            entry[1] += achieved.get(allocation.rep_id, ZERO)
            entry[2].append(record("targets.allocation", allocation.pk, plan.name))
    return {rep: (t, a, records) for rep, (t, a, records) in result.items()}


def attainment(target: Decimal, achieved: Decimal) -> Decimal:
    return (achieved / target).quantize(RATIO) if target > 0 else Decimal("0")


# --- contracts ----------------------------------------------------------------------------


def signed(rep_ids, start: dt.date, end: dt.date) -> list[Contract]:
    """The reps' contracts signed in ``[start, end)``, with their accounts."""
    return list(
        Contract.objects.filter(
            owner_id__in=list(rep_ids),
            status__in=SIGNED_STATUSES,
            signed_on__gte=start,
            signed_on__lt=end,
        )
        .select_related("account")
        .order_by("signed_on", "pk")
    )


def signed_totals(contracts) -> dict[int, tuple[Decimal, int, list[dict]]]:
    result: dict[int, list] = {}
    for contract in contracts:
        entry = result.setdefault(contract.owner_id, [ZERO, 0, []])
        entry[0] += contract.amount
        entry[1] += 1
        entry[2].append(record("revenue.contract", contract.pk, contract.number))
    return {rep: (amount, n, records) for rep, (amount, n, records) in result.items()}


def first_contracts(contracts) -> dict[int, tuple[dt.date, int]]:
    """Per account of ``contracts``: its first signed contract ``(signed_on, pk)``."""
    accounts = {c.account_id for c in contracts}
    rows = Contract.objects.filter(
        account_id__in=list(accounts), status__in=SIGNED_STATUSES, signed_on__isnull=False
    ).values_list("account_id", "signed_on", "pk")
    first: dict[int, tuple[dt.date, int]] = {}
    for account_id, signed_on, pk in rows:
        if account_id not in first or (signed_on, pk) < first[account_id]:
            first[account_id] = (signed_on, pk)
    return first


def is_first(contract, first: dict) -> bool:
    return first.get(contract.account_id) == (contract.signed_on, contract.pk)


# --- process-health awards ----------------------------------------------------------------


def awards(year: int, quarter: int) -> list[AwardEntitlement]:
    return list(
        AwardEntitlement.objects.filter(plan__fiscal_year=year, quarter=quarter)
        .select_related("team", "plan")
        .prefetch_related("snapshots")
        .order_by("pk")
    )


def award_records(award: AwardEntitlement) -> list[dict]:
    records = [record("targets.awardentitlement", award.pk, award)]
    for snapshot in sorted(award.snapshots.all(), key=lambda s: (s.month, s.pk)):
        records.append(record("targets.healthsnapshot", snapshot.pk, snapshot))
    return records
