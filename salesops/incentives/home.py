"""The incentives cards on the home page (registered with ``reports.home.cards``):

* a rep's (and a manager's own) "My bonus": this month's payable and pending lines, last
  month's payable and what is still waiting for its release condition — two aggregates;
* finance's "Months to approve": closed months of the last year with ledger lines that
  are not approved and locked yet — one distinct query over the ledger's period index.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce

from salesops.core import clock
from salesops.core.money import to_money
from salesops.org.models import Role
from salesops.reports.home import cards

from . import ledger, permissions
from .models import LedgerLine, LineState, OpenTranche, PayoutPeriod, PeriodState

MONEY = DecimalField(max_digits=16, decimal_places=2)
MONTHS_TO_APPROVE = 12


def _previous(month: dt.date) -> dt.date:
    return ledger.month_of(month - dt.timedelta(days=1))


def _sum(field: str, condition: Q | None = None):
    return Coalesce(Sum(field, filter=condition), Value(Decimal(0)), output_field=MONEY)


def rep_card(user) -> dict | None:
    if not permissions.has_statement(user):
        return None
    month = ledger.month_of(clock.today())
    previous = _previous(month)
    sums = LedgerLine.objects.filter(rep_id=user.pk, period__in=[previous, month]).aggregate(
        payable=_sum("amount", Q(period=month, state=LineState.EARNED)),
        pending=_sum("amount", Q(period=month, state=LineState.PENDING)),
        last=_sum("amount", Q(period=previous, state=LineState.EARNED)),
    )
    waiting = OpenTranche.objects.filter(rep_id=user.pk).aggregate(total=_sum("line__amount"))
    return {
        "month": month,
        "previous": previous,
        "payable": to_money(sums["payable"]),
        "pending": to_money(sums["pending"]),
        "last": to_money(sums["last"]),
        "waiting": to_money(waiting["total"]),
    }


def finance_card(user) -> dict | None:
    if not permissions.is_finance(user):
        return None
    month = ledger.month_of(clock.today())
    earliest = month
    for _ in range(MONTHS_TO_APPROVE):
        earliest = _previous(earliest)
    locked = set(
        PayoutPeriod.objects.filter(state=PeriodState.LOCKED, month__gte=earliest).values_list(
            "month", flat=True
        )
    )
    with_lines = (
        LedgerLine.objects.filter(period__gte=earliest, period__lt=month)
        .order_by()
        .values_list("period", flat=True)
        .distinct()
    )
    months = sorted(m for m in with_lines if m not in locked)
    return {"months": months, "count": len(months)}


def register() -> None:
    cards.register(Role.REP, "bonus", "incentives/home/_rep_card.html", rep_card)
    cards.register(Role.FINANCE, "approve", "incentives/home/_finance_card.html", finance_card)
