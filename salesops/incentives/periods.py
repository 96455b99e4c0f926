"""Payout periods (SPEC I7): finance approves a month and locks it.

Approving records who and when, with the totals approved (lines, reps, payable, pending,
forfeited); a locked month takes no new line (``ledger.write`` and the model refuse it),
so what was approved is what payroll pays. Approving a locked month again is refused
(``PeriodLocked``, a 409 for the API and the pages) and changes nothing. Month-end work
still running for the month does not block approval: what the run writes later goes to
the next open month.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from salesops.core import clock
from salesops.core.money import to_money

from . import ledger, permissions
from .models import LedgerLine, LineState, PayoutPeriod, PeriodState
from .statements import add_months, month_key

MONTHS_LISTED = 12


class PeriodLocked(ValidationError):
    """The month is already approved and locked (a state conflict: 409)."""


def require_finance(user) -> None:
    if not permissions.is_finance(user):
        raise PermissionDenied(_("Only finance can approve, lock and export payout months."))


def can_read(user) -> bool:
    """Finance, directors and admins see the payout months and export them."""
    return permissions.is_finance(user) or bool(
        user and user.is_authenticated and user.is_active and user.edits_everything
    )


def require_reader(user) -> None:
    if not can_read(user):
        raise PermissionDenied(_("Only finance, directors and admins see the payout months."))


def month_totals(month: dt.date) -> dict:
    """What the ledger holds for ``month``: lines, reps, payable, pending, forfeited (one
    aggregate over the ``period`` index)."""
    row = LedgerLine.objects.filter(period=month).aggregate(
        lines=Count("pk"),
        reps=Count("rep_id", distinct=True),
        payable=Sum("amount", filter=Q(state=LineState.EARNED)),
        pending=Sum("amount", filter=Q(state=LineState.PENDING)),
        forfeited=Sum("amount", filter=Q(state=LineState.FORFEITED)),
    )
    return {
        "lines": row["lines"],
        "reps": row["reps"],
        "payable": to_money(row["payable"] or 0),
        "pending": to_money(row["pending"] or 0),
        "forfeited": to_money(row["forfeited"] or 0),
    }


def _stored(totals: dict) -> dict:
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in totals.items()}


def locked_message(period: PayoutPeriod) -> str:
    at = timezone.localtime(period.locked_at) if period.locked_at else None
    return _("%(month)s is already approved and locked on %(date)s by %(name)s.") % {
        "month": month_key(period.month),
        "date": at.strftime("%Y-%m-%d %H:%M") if at else "—",
        "name": period.locked_by.label if period.locked_by else "—",
    }


def approve(month: dt.date, *, by) -> PayoutPeriod:
    """Approve and lock ``month`` (finance only): state locked, who and when, the totals."""
    require_finance(by)
    month = ledger.month_of(month)
    with transaction.atomic():
        ledger.period(month)
        period = (
            PayoutPeriod.objects.select_for_update(of=("self",))
            .select_related("locked_by")
            .get(month=month)
        )
        if period.is_locked:
            raise PeriodLocked({"month": locked_message(period)}, code="locked")
        period.state = PeriodState.LOCKED
        period.locked_at = clock.now()
        period.locked_by = by
        period.totals = _stored(month_totals(month))
        period.save(update_fields=["state", "locked_at", "locked_by", "totals"])
    return period


@dataclass
class MonthRow:
    month: dt.date
    period: PayoutPeriod | None
    totals: dict

    @property
    def key(self) -> str:
        return month_key(self.month)

    @property
    def locked(self) -> bool:
        return bool(self.period and self.period.is_locked)


def _grouped_totals(months: list[dt.date]) -> dict[dt.date, dict]:
    rows = (
        LedgerLine.objects.filter(period__in=months)
        .values("period")
        .annotate(
            lines=Count("pk"),
            reps=Count("rep_id", distinct=True),
            payable=Sum("amount", filter=Q(state=LineState.EARNED)),
            pending=Sum("amount", filter=Q(state=LineState.PENDING)),
            forfeited=Sum("amount", filter=Q(state=LineState.FORFEITED)),
        )
    )
    return {
        row["period"]: {
            "lines": row["lines"],
            "reps": row["reps"],
            "payable": to_money(row["payable"] or 0),
            "pending": to_money(row["pending"] or 0),
            "forfeited": to_money(row["forfeited"] or 0),
        }
        for row in rows
    }


def _from_stored(totals: dict) -> dict:
    out = {}
    for key in ("lines", "reps"):
        out[key] = int(totals.get(key) or 0)
    for key in ("payable", "pending", "forfeited"):
        out[key] = to_money(totals.get(key) or 0)
    return out


def months(user, *, count: int = MONTHS_LISTED) -> list[MonthRow]:
    """The payout months for finance: the last ``count`` months and every approved one,
    newest first; an approved month shows the totals it was approved with, an open one
    what the ledger holds now."""
    require_reader(user)
    today = ledger.month_of(clock.today())
    recent = [add_months(today, -i) for i in range(count)]
    periods = {
        p.month: p for p in PayoutPeriod.objects.select_related("locked_by").order_by("-month")
    }
    wanted = sorted(set(recent) | set(periods), reverse=True)
    open_months = [m for m in wanted if not (m in periods and periods[m].is_locked)]
    live = _grouped_totals(open_months) if open_months else {}
    empty = {"lines": 0, "reps": 0, "payable": to_money(0), "pending": to_money(0)}
    empty["forfeited"] = to_money(0)
    rows = []
    for month in wanted:
        period = periods.get(month)
        if period and period.is_locked:
            totals = _from_stored(period.totals or {})
        else:
            totals = live.get(month, dict(empty))
        rows.append(MonthRow(month=month, period=period, totals=totals))
    return rows


def month_row(user, month: dt.date) -> MonthRow:
    """One month for its page: the period (if any) and its totals."""
    require_reader(user)
    month = ledger.month_of(month)
    period = PayoutPeriod.objects.select_related("locked_by").filter(month=month).first()
    if period and period.is_locked:
        return MonthRow(month=month, period=period, totals=_from_stored(period.totals or {}))
    return MonthRow(month=month, period=period, totals=month_totals(month))
