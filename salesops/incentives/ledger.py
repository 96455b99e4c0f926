"""Writing the payout ledger (SPEC I7): the one module that creates ledger lines.

Every write names a ``key`` (unique): writing the same thing twice returns the line
already there, so a rerun, a replayed sweep or two workers racing write each line once.
A line goes into its month's :class:`PayoutPeriod`; a locked month takes nothing — a
release or an adjustment that happens while it is locked goes into the next open month.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from salesops.core.money import to_money

from .models import LedgerLine, LineKind, LineState, OpenTranche, PayoutPeriod, PeriodState


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def period(month: dt.date) -> PayoutPeriod:
    found, _created = PayoutPeriod.objects.get_or_create(month=month_of(month))
    return found


def is_locked(month: dt.date) -> bool:
    return PayoutPeriod.objects.filter(month=month_of(month), state=PeriodState.LOCKED).exists()


def open_month(on: dt.date) -> dt.date:
    """The month a line dated ``on`` goes into: its own, or the first open one after."""
    month = month_of(on)
    locked = set(
        PayoutPeriod.objects.filter(month__gte=month, state=PeriodState.LOCKED).values_list(
            "month", flat=True
        )
    )
    while month in locked:
        month = next_month(month)
    return month


def write(*, rep, period: dt.date, kind: str, state: str, amount, key: str, **fields) -> LedgerLine:
    """Append one line (or return the line already written under ``key``).

    Refuses a locked month (``ValidationError`` naming it). ``fields`` are any other
    :class:`LedgerLine` fields (base, coefficient, percent, plan_version, formula,
    condition, due_on, explanation, settles, source_line, contract, account, reason, run,
    created_by, approved_by, tranche)."""
    existing = LedgerLine.objects.filter(key=key).first()
    if existing is not None:
        return existing
    month = month_of(period)
    if is_locked(month):
        raise ValidationError(
            {
                "period": _("%(month)s is approved and locked: it takes no new line.")
                % {"month": month.strftime("%Y-%m")}
            }
        )
    line = LedgerLine(
        rep_id=rep if isinstance(rep, int) else rep.pk,
        period=month,
        kind=kind,
        state=state,
        amount=to_money(amount),
        key=key,
        **fields,
    )
    try:
        with transaction.atomic():
            line.save()
    except IntegrityError:
        existing = LedgerLine.objects.filter(key=key).first()
        if existing is None:
            raise
        return existing
    return line


def settle(
    tranche_line: LedgerLine, *, released: bool, on: dt.date, event: dict, reason: str = ""
) -> LedgerLine:
    """Release (``released``) or forfeit a pending tranche: a new line in the first open
    month from ``on``, carrying the event that decided it; the tranche leaves the open
    index. Settling a settled tranche returns its settlement."""
    if tranche_line.kind != LineKind.TRANCHE or tranche_line.state != LineState.PENDING:
        raise ValidationError(_("Only a pending tranche can be released or forfeited."))
    with transaction.atomic():
        line = write(
            rep=tranche_line.rep_id,
            period=open_month(on),
            kind=LineKind.RELEASE if released else LineKind.FORFEIT,
            state=LineState.EARNED if released else LineState.FORFEITED,
            amount=tranche_line.amount,
            key=f"settle:{tranche_line.pk}",
            base=tranche_line.base,
            coefficient=tranche_line.coefficient,
            percent=tranche_line.percent,
            plan_version_id=tranche_line.plan_version_id,
            formula=tranche_line.formula,
            tranche=tranche_line.tranche,
            condition=tranche_line.condition,
            due_on=tranche_line.due_on,
            explanation={"event": event, "on": on.isoformat()},
            settles=tranche_line,
            contract_id=tranche_line.contract_id,
            account_id=tranche_line.account_id,
            reason=reason,
        )
        OpenTranche.objects.filter(line=tranche_line).delete()
    return line


def payable(lines) -> Decimal:
    """What a set of lines pays: the earned ones."""
    return to_money(
        sum((line.amount for line in lines if line.state == LineState.EARNED), Decimal(0))
    )


def write_many(lines: list[LedgerLine]) -> list[LedgerLine]:
    """Append many unsaved lines at once (the month-end run): one query for the keys
    already written (those lines are skipped, as :func:`write` returns them), one locked
    check per month, then ``bulk_create``. Returns the lines written now. A race with
    another writer falls back to :func:`write` line by line."""
    if not lines:
        return []
    months = {month_of(line.period) for line in lines}
    locked = set(
        PayoutPeriod.objects.filter(month__in=months, state=PeriodState.LOCKED).values_list(
            "month", flat=True
        )
    )
    if locked:
        raise ValidationError(
            {
                "period": _("%(month)s is approved and locked: it takes no new line.")
                % {"month": min(locked).strftime("%Y-%m")}
            }
        )
    keys = [line.key for line in lines]
    existing: set[str] = set()
    for start in range(0, len(keys), 900):
        existing.update(
            LedgerLine.objects.filter(key__in=keys[start : start + 900]).values_list(
                "key", flat=True
            )
        )
    fresh, seen = [], set(existing)
    for line in lines:
        if line.key in seen:
            continue
        seen.add(line.key)
        line.period = month_of(line.period)
        line.amount = to_money(line.amount)
        fresh.append(line)
    for month in {line.period for line in fresh}:
        period(month)
    try:
        with transaction.atomic():
            return LedgerLine.objects.bulk_create(fresh, batch_size=500)
    except IntegrityError:
        written = []
        for line in fresh:
            values = {
                f.attname: getattr(line, f.attname)
                for f in LedgerLine._meta.concrete_fields
                if f.attname not in ("id", "rep_id", "period", "kind", "state", "amount", "key")
            }
            before = LedgerLine.objects.filter(key=line.key).exists()
            saved = write(
                rep=line.rep_id,
                period=line.period,
                kind=line.kind,
                state=line.state,
                amount=line.amount,
                key=line.key,
                **values,
            )
            if not before:
                written.append(saved)
        return written
