"""The mentor reward (SPEC I5).

When a mentee's deal bonus becomes payable — a tranche released, or a deal line earned at
once — the mentor of a :class:`MentorPair` active on the contract's signing day earns a
share of it: ``mentor_first_percent`` (15 %) of the mentee's first contract signed within
the pair's dates, ``mentor_next_percent`` (5 %) of each of the next ``mentor_next_count``
(3), nothing after. The ordinal counts the mentee's signed contracts (owner = mentee,
status signed / active / completed) signed within the pair's dates, ordered by
``signed_on`` then id.

The mentor's line (``mentor``, earned, key ``mentor:<mentee line>``) points to the
mentee's line (``source_line``) and explains mentee, ordinal and percent. With the
policy's ``mentor_deducts`` the mentee gets the negative amount as a
``mentor_deduction`` line (key ``mentor-deduct:<mentee line>``). Both go into the first
open month from the mentee line's date. Idempotent by key.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q

from salesops.core.money import to_money
from salesops.revenue.models import SIGNED_STATUSES, Contract

from . import ledger
from .models import IncentivePolicy, LedgerLine, LineKind, LineState, MentorPair

FORMULA = "mentee_amount * percent / 100"


def _day_of(line: LedgerLine) -> dt.date:
    """A release is dated by its event (``explanation["on"]``); other lines by month."""
    on = (line.explanation or {}).get("on") if line.kind == LineKind.RELEASE else None
    if on:
        try:
            return max(dt.date.fromisoformat(on), line.period)
        except (TypeError, ValueError):
            pass
    return line.period


def pair_for(mentee_id: int, signed_on: dt.date) -> MentorPair | None:
    """The pair whose mentee is ``mentee_id``, active on ``signed_on`` (the latest
    started when several are)."""
    return (
        MentorPair.objects.filter(mentee_id=mentee_id, starts_on__lte=signed_on)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=signed_on))
        .order_by("-starts_on", "-pk")
        .first()
    )


def ordinal(pair: MentorPair, contract_id: int, signed_on: dt.date) -> int:
    """The contract's place (1 = first) among the mentee's contracts signed within the
    pair's dates."""
    within = Contract.objects.filter(
        owner_id=pair.mentee_id,
        status__in=SIGNED_STATUSES,
        signed_on__gte=pair.starts_on,
    )
    if pair.ends_on:
        within = within.filter(signed_on__lte=pair.ends_on)
    before = within.filter(
        Q(signed_on__lt=signed_on) | Q(signed_on=signed_on, pk__lt=contract_id)
    ).count()
    return before + 1


def percent_for(position: int, policy: IncentivePolicy) -> Decimal:
    if position == 1:
        return policy.mentor_first_percent
    if position <= 1 + policy.mentor_next_count:
        return policy.mentor_next_percent
    return Decimal("0")


def reward(line: LedgerLine, policy: IncentivePolicy | None = None) -> list[LedgerLine]:
    """The mentor's line (and the mentee's deduction) for a released tranche or an earned
    deal line of a mentee; ``[]`` when none is due."""
    if (
        line.state != LineState.EARNED
        or line.kind not in (LineKind.RELEASE, LineKind.DEAL)
        or not line.contract_id
        or line.amount <= 0
    ):
        return []
    contract = Contract.objects.filter(pk=line.contract_id).values("signed_on", "number").first()
    if contract is None or contract["signed_on"] is None:
        return []
    signed_on = contract["signed_on"]
    pair = pair_for(line.rep_id, signed_on)
    if pair is None:
        return []
    policy = policy or IncentivePolicy.current()
    position = ordinal(pair, line.contract_id, signed_on)
    pct = percent_for(position, policy)
    if pct <= 0:
        return []
    amount = to_money(line.amount * pct / 100)
    if amount <= 0:
        return []
    mentee = get_user_model().objects.filter(pk=line.rep_id).first()
    mentee_name = str(mentee) if mentee else ""
    month = ledger.open_month(_day_of(line))
    explanation = {
        "component": "mentor",
        "inputs": {"mentee_amount": str(line.amount), "percent": str(pct)},
        "mentee": {"id": line.rep_id, "name": mentee_name},
        "mentor": {"id": pair.mentor_id},
        "pair": {
            "id": pair.pk,
            "starts_on": pair.starts_on.isoformat(),
            "ends_on": pair.ends_on.isoformat() if pair.ends_on else None,
        },
        "ordinal": position,
        "percent": str(pct),
        "mentee_line": line.pk,
        "records": [
            {"model": "revenue.contract", "id": line.contract_id, "label": contract["number"]},
            {"model": "incentives.ledgerline", "id": line.pk, "label": str(line.amount)},
        ],
    }
    common = {
        "base": line.amount,
        "percent": pct,
        "formula": FORMULA,
        "source_line": line,
        "contract_id": line.contract_id,
        "account_id": line.account_id,
        "explanation": explanation,
    }
    with transaction.atomic():
        lines = [
            ledger.write(
                rep=pair.mentor_id,
                period=month,
                kind=LineKind.MENTOR,
                state=LineState.EARNED,
                amount=amount,
                key=f"mentor:{line.pk}",
                **common,
            )
        ]
        if policy.mentor_deducts:
            lines.append(
                ledger.write(
                    rep=line.rep_id,
                    period=month,
                    kind=LineKind.MENTOR_DEDUCTION,
                    state=LineState.EARNED,
                    amount=-amount,
                    key=f"mentor-deduct:{line.pk}",
                    **common,
                )
            )
    return lines
