"""Deferred release of deal bonuses (SPEC I2).

A signed contract's bonus (base × coefficient) is written as pending tranche lines:

* **payment** (50 %): per instalment — each instalment's share is released when the
  payments on the contract reach the instalments up to it — or, by the policy, one line
  released when the contract is paid in full;
* **quality** (30 %): released ``quality_months`` after signing when the account had no
  major complaint in between; forfeited by the first one;
* **renewal** (20 %): released by a won renewal of the account around the contract's
  ``renewal_months`` anniversary (grace days after); forfeited by a lost renewal or when
  the grace runs out.

Amounts split by the largest-remainder method, so the tranches add up to the bonus to the
cent. Every pending tranche has an :class:`OpenTranche` row (what the sweep reads).

A contract's deal bonus is accrued once: when lines of it are already in the ledger (a
rerun of the month, a replay, two workers), accruing it again returns them and writes
nothing — even if the plan or the contract's instalments changed since (a correction is an
adjustment, never a second bonus). :func:`accrue_deal` writes one contract;
:func:`accrue_deals` the month-end run's thousands at once, line for line the same.

The sweep that releases and forfeits is in :mod:`.sweep` (:func:`sweep`, :func:`check_all`);
:func:`queue_contracts` and :func:`queue_accounts` tell it what changed (``signals``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from salesops.core import clock
from salesops.core.money import to_money
from salesops.revenue.models import Instalment
from salesops.targets.allocation import largest_remainder

from . import ledger, mentor
from .models import (
    IncentivePolicy,
    IncentiveQueue,
    LedgerLine,
    LineKind,
    LineState,
    MentorPair,
    OpenTranche,
    PaymentRelease,
    QueueKind,
    Tranche,
)
from .sweep import check_all, sweep

__all__ = [
    "accrue_deal",
    "accrue_deals",
    "add_months",
    "check_all",
    "queue_accounts",
    "queue_contracts",
    "sweep",
]

# How many contracts one existence query and one batch of inserts take (SQLite's and
# PostgreSQL's limits on parameters are far above it).
CHUNK = 2000


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


# --- the queue -------------------------------------------------------------------------------


def _queue(kind: str, ids) -> int:
    """One upsert for all ``ids``. A row already queued gets a fresh ``queued_at`` rather
    than being ignored: the sweep deletes only the rows it read (up to the ``queued_at``
    it saw), so a change arriving while it works on that contract is looked at again."""
    wanted = sorted({int(i) for i in ids if i})
    if not wanted:
        return 0
    now = clock.now()
    IncentiveQueue.objects.bulk_create(
        [IncentiveQueue(kind=kind, object_id=i, queued_at=now) for i in wanted],
        update_conflicts=True,
        unique_fields=["kind", "object_id"],
        update_fields=["queued_at"],
    )
    return len(wanted)


def queue_contracts(ids) -> int:
    """Contracts whose payments changed: the sweep checks their payment tranches."""
    return _queue(QueueKind.CONTRACT, ids)


def queue_accounts(ids) -> int:
    """Accounts with a new major complaint or a renewal: the sweep checks their quality
    and renewal tranches."""
    return _queue(QueueKind.ACCOUNT, ids)


# --- what a contract's deal bonus is made of ---------------------------------------------------


def _payment_parts(
    contract, amount: Decimal, policy: IncentivePolicy, instalments=None
) -> list[tuple[Decimal, Decimal, dict]]:
    """``(amount, paid threshold, detail)`` per payment tranche line."""
    if policy.payment_release != PaymentRelease.INSTALMENT:
        instalments = []
    elif instalments is None:
        instalments = list(contract.instalments.order_by("sequence"))
    if not instalments:
        return [(amount, to_money(contract.amount), {"instalment": None})]
    parts = largest_remainder(amount, [i.percent for i in instalments])
    result, cumulative = [], Decimal(0)
    for instalment, part in zip(instalments, parts, strict=True):
        cumulative += instalment.amount
        result.append(
            (
                part,
                to_money(cumulative),
                {"instalment": instalment.sequence, "due_on": instalment.due_on.isoformat()},
            )
        )
    return result


def _specs(item: dict, *, month, run, policy, instalments=None) -> list[tuple[dict, dict | None]]:
    """The lines of one contract's deal bonus: ``(ledger line fields, open-tranche fields
    or None)`` each. Both :func:`accrue_deal` and :func:`accrue_deals` write these."""
    contract = item["contract"]
    base, coefficient = item["base"], item.get("coefficient")
    explanation = item.get("explanation") or {}
    amount = to_money(base * (coefficient if coefficient is not None else 1))
    common = {
        "rep_id": item["rep_id"],
        "period": ledger.month_of(month),
        "base": to_money(base),
        "coefficient": coefficient,
        "plan_version": item.get("plan_version"),
        "formula": item.get("formula") or "",
        "contract_id": contract.pk,
        "account_id": contract.account_id,
        "run": run,
        "explanation": explanation,
    }
    if not item.get("deferred"):
        line = {
            **common,
            "kind": LineKind.DEAL,
            "state": LineState.EARNED,
            "amount": amount,
            "key": f"deal:{contract.pk}",
        }
        return [(line, None)]
    percents = policy.tranche_percents()
    split = dict(zip(percents, largest_remainder(amount, list(percents.values())), strict=True))
    signed = contract.signed_on or common["period"]
    specs = []

    def pending(tranche, part, key, due_on, threshold, extra=None):
        line = {
            **common,
            "kind": LineKind.TRANCHE,
            "state": LineState.PENDING,
            "amount": to_money(part),
            "key": key,
            "tranche": tranche,
            "percent": percents[tranche],
            "condition": tranche,
            "due_on": due_on,
        }
        if extra:
            line["explanation"] = {**explanation, **extra}
        opened = {
            "tranche": tranche,
            "rep_id": item["rep_id"],
            "contract_id": contract.pk,
            "account_id": contract.account_id,
            "starts_on": signed,
            "due_on": due_on,
            "paid_threshold": threshold,
        }
        specs.append((line, opened))

    parts = _payment_parts(contract, split["payment"], policy, instalments)
    for n, (part, threshold, detail) in enumerate(parts, start=1):
        pending(
            Tranche.PAYMENT,
            part,
            f"deal:{contract.pk}:payment:{n}",
            None,
            threshold,
            {"payment": detail},
        )
    pending(
        Tranche.QUALITY,
        split["quality"],
        f"deal:{contract.pk}:quality",
        add_months(signed, policy.quality_months),
        None,
    )
    pending(
        Tranche.RENEWAL,
        split["renewal"],
        f"deal:{contract.pk}:renewal",
        add_months(signed, policy.renewal_months),
        None,
    )
    return specs


def _accrued(contract_ids) -> dict[int, list[LedgerLine]]:
    """The deal-bonus lines already written for these contracts (by contract)."""
    found = defaultdict(list)
    lines = LedgerLine.objects.filter(
        contract_id__in=contract_ids, kind__in=[LineKind.DEAL, LineKind.TRANCHE]
    ).order_by("pk")
    for line in lines:
        found[line.contract_id].append(line)
    return found


def _refuse_locked(month: dt.date) -> None:
    if ledger.is_locked(month):
        raise ValidationError(
            {
                "period": _("%(month)s is approved and locked: it takes no new line.")
                % {"month": month.strftime("%Y-%m")}
            }
        )


# --- one contract ------------------------------------------------------------------------------


def accrue_deal(
    *,
    contract,
    rep_id: int,
    month: dt.date,
    base: Decimal,
    coefficient: Decimal | None,
    plan_version,
    formula: str,
    deferred: bool,
    explanation: dict,
    run=None,
    policy: IncentivePolicy | None = None,
) -> list[LedgerLine]:
    """Write a contract's deal bonus into ``month``: one payable line, or the pending
    tranches (keys ``deal:<contract>[:<tranche>[:<n>]]``). A contract already accrued
    returns its lines. An earned (not deferred) line pays the rep's mentor at once."""
    policy = policy or IncentivePolicy.current()
    item = {
        "contract": contract,
        "rep_id": rep_id,
        "base": base,
        "coefficient": coefficient,
        "plan_version": plan_version,
        "formula": formula,
        "deferred": deferred,
        "explanation": explanation,
    }
    with transaction.atomic():
        existing = _accrued([contract.pk]).get(contract.pk)
        if existing:
            return existing
        lines = []
        for fields, opened in _specs(item, month=month, run=run, policy=policy):
            fields = dict(fields)
            line = ledger.write(
                rep=fields.pop("rep_id"),
                period=fields.pop("period"),
                kind=fields.pop("kind"),
                state=fields.pop("state"),
                amount=fields.pop("amount"),
                key=fields.pop("key"),
                **fields,
            )
            if opened is not None:
                OpenTranche.objects.get_or_create(line=line, defaults=opened)
            lines.append(line)
        if deferred:
            # Payments may already be in: the next sweep looks at the contract.
            queue_contracts([contract.pk])
        else:
            for line in lines:
                mentor.reward(line)
    return lines


# --- the month-end run's thousands -------------------------------------------------------------


def accrue_deals(items, *, month: dt.date, run=None, policy: IncentivePolicy | None = None) -> int:
    """:func:`accrue_deal` for many contracts (``items``: dicts of its keyword arguments
    but ``month``, ``run`` and ``policy``): the same lines under the same keys, written
    with a few statements per :data:`CHUNK` contracts — one query for what is already
    accrued, one for the instalments, one insert each for the lines, the open tranches
    and the queue. Returns the number of lines written.

    Should another writer accrue one of the contracts at the same moment (a key clash),
    the chunk is written again contract by contract, which skips what it finds."""
    policy = policy or IncentivePolicy.current()
    month = ledger.month_of(month)
    seen, unique = set(), []
    for item in items:
        if item["contract"].pk not in seen:
            seen.add(item["contract"].pk)
            unique.append(item)
    if not unique:
        return 0
    _refuse_locked(month)
    written = 0
    for start in range(0, len(unique), CHUNK):
        chunk = unique[start : start + CHUNK]
        try:
            with transaction.atomic():
                written += _accrue_chunk(chunk, month=month, run=run, policy=policy)
        except IntegrityError:
            for item in chunk:
                before = LedgerLine.objects.filter(contract_id=item["contract"].pk).exists()
                lines = accrue_deal(**item, month=month, run=run, policy=policy)
                written += 0 if before else len(lines)
    return written


def _accrue_chunk(items: list[dict], *, month, run, policy) -> int:
    accrued = _accrued([item["contract"].pk for item in items])
    todo = [item for item in items if item["contract"].pk not in accrued]
    if not todo:
        return 0
    instalments = defaultdict(list)
    deferred_ids = [item["contract"].pk for item in todo if item.get("deferred")]
    if deferred_ids and policy.payment_release == PaymentRelease.INSTALMENT:
        for instalment in Instalment.objects.filter(contract_id__in=deferred_ids).order_by(
            "contract_id", "sequence"
        ):
            instalments[instalment.contract_id].append(instalment)
    lines, opens = [], []
    for item in todo:
        pk = item["contract"].pk
        for fields, opened in _specs(
            item, month=month, run=run, policy=policy, instalments=instalments.get(pk, [])
        ):
            line = LedgerLine(**fields)
            lines.append(line)
            opens.append(opened)
    LedgerLine.objects.bulk_create(lines)
    OpenTranche.objects.bulk_create(
        [
            OpenTranche(line=line, **opened)
            for line, opened in zip(lines, opens, strict=True)
            if opened
        ]
    )
    queue_contracts(deferred_ids)
    _reward_mentors([line for line in lines if line.kind == LineKind.DEAL])
    return len(lines)


def _reward_mentors(lines: list[LedgerLine]) -> None:
    """Earned deal lines of reps who are (or were) someone's mentee pay their mentor."""
    if not lines:
        return
    mentees = set(
        MentorPair.objects.filter(mentee_id__in={line.rep_id for line in lines}).values_list(
            "mentee_id", flat=True
        )
    )
    for line in lines:
        if line.rep_id in mentees:
            mentor.reward(line)
