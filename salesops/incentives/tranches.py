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
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from salesops.core.money import to_money
from salesops.targets.allocation import largest_remainder

from . import ledger
from .models import (
    IncentivePolicy,
    IncentiveQueue,
    LedgerLine,
    LineKind,
    LineState,
    OpenTranche,
    PaymentRelease,
    QueueKind,
    Tranche,
)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def _payment_parts(
    contract, amount: Decimal, policy: IncentivePolicy
) -> list[tuple[Decimal, Decimal, dict]]:
    """``(amount, paid threshold, detail)`` per payment tranche line."""
    instalments = []
    if policy.payment_release == PaymentRelease.INSTALMENT:
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
    tranches (idempotent: keys ``deal:<contract>[:<tranche>[:<n>]]``)."""
    policy = policy or IncentivePolicy.current()
    amount = to_money(base * (coefficient if coefficient is not None else 1))
    common = {
        "base": to_money(base),
        "coefficient": coefficient,
        "plan_version": plan_version,
        "formula": formula,
        "contract_id": contract.pk,
        "account_id": contract.account_id,
        "run": run,
        "explanation": explanation,
    }
    if not deferred:
        return [
            ledger.write(
                rep=rep_id,
                period=month,
                kind=LineKind.DEAL,
                state=LineState.EARNED,
                amount=amount,
                key=f"deal:{contract.pk}",
                **common,
            )
        ]
    percents = policy.tranche_percents()
    split = dict(zip(percents, largest_remainder(amount, list(percents.values())), strict=True))
    signed = contract.signed_on or month
    lines = []
    with transaction.atomic():
        payment_parts = _payment_parts(contract, split["payment"], policy)
        for n, (part, threshold, detail) in enumerate(payment_parts, start=1):
            lines.append(
                _pending(
                    rep_id,
                    month,
                    contract,
                    Tranche.PAYMENT,
                    part,
                    percents["payment"],
                    f"deal:{contract.pk}:payment:{n}",
                    signed,
                    None,
                    threshold,
                    {**common, "explanation": {**explanation, "payment": detail}},
                )
            )
        lines.append(
            _pending(
                rep_id,
                month,
                contract,
                Tranche.QUALITY,
                split["quality"],
                percents["quality"],
                f"deal:{contract.pk}:quality",
                signed,
                add_months(signed, policy.quality_months),
                None,
                common,
            )
        )
        lines.append(
            _pending(
                rep_id,
                month,
                contract,
                Tranche.RENEWAL,
                split["renewal"],
                percents["renewal"],
                f"deal:{contract.pk}:renewal",
                signed,
                add_months(signed, policy.renewal_months),
                None,
                common,
            )
        )
        # Payments may already be in: the next sweep looks at the contract.
        IncentiveQueue.objects.get_or_create(kind=QueueKind.CONTRACT, object_id=contract.pk)
    return lines


def _pending(
    rep_id, month, contract, tranche, amount, percent, key, starts_on, due_on, threshold, common
):
    existed = LedgerLine.objects.filter(key=key).exists()
    line = ledger.write(
        rep=rep_id,
        period=month,
        kind=LineKind.TRANCHE,
        state=LineState.PENDING,
        amount=amount,
        key=key,
        tranche=tranche,
        percent=percent,
        condition=tranche,
        due_on=due_on,
        **common,
    )
    if not existed:
        OpenTranche.objects.create(
            line=line,
            tranche=tranche,
            rep_id=rep_id,
            contract_id=contract.pk,
            account_id=contract.account_id,
            starts_on=starts_on,
            due_on=due_on,
            paid_threshold=threshold,
        )
    return line
