"""What a target counts (its measure) and over which periods.

A plan's measure is payments received (回款: ``Payment.amount`` on ``received_on``, owned
by the contract's owner) or signed contract amount (``Contract.amount`` on ``signed_on``
for contracts in a signed status). A product line narrows both by the contract's product
line. Money stays Decimal.

The sums read the monthly rollup (:class:`~.models.MeasureMonth`, kept equal to a recount
by :mod:`.rollup`): whole months are one grouped query on it; a month the range cuts (the
health page's "through today") uses the rollup rows whose records all lie inside the range
and reads only the owners whose row straddles the cut from the records, for those days.
The results are the records' exact sums, whatever the range.

Fiscal periods: a fiscal year starts in :attr:`TargetPolicy.fiscal_year_start_month`
(January by default) and is named by the calendar year it starts in; months are the first
day of each month, quarters 1–4 count from the fiscal year's start.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum

from salesops.revenue.models import SIGNED_STATUSES, Contract, Payment

from .models import Measure, MeasureMonth, TargetPolicy

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Source:
    """How one measure reads the database."""

    queryset: object
    date: str
    owner: str
    product_line: str


def source(measure: str) -> Source:
    if measure == Measure.CONTRACTS:
        return Source(
            Contract.objects.filter(status__in=SIGNED_STATUSES, signed_on__isnull=False),
            "signed_on",
            "owner_id",
            "product_line",
        )
    return Source(
        Payment.objects.all(), "received_on", "contract__owner_id", "contract__product_line"
    )


def _rows(measure, *, start: dt.date, end: dt.date, product_line="", owner_ids=None):
    """The measure's records with ``start <= date < end`` (end exclusive)."""
    src = source(measure)
    rows = src.queryset.filter(**{f"{src.date}__gte": start, f"{src.date}__lt": end})
    if product_line:
        rows = rows.filter(**{src.product_line: product_line})
    if owner_ids is not None:
        rows = rows.filter(**{f"{src.owner}__in": list(owner_ids)})
    return src, rows.order_by()


def _money(value) -> Decimal:
    return (value or ZERO).quantize(CENT)


def total(measure, *, start, end, product_line="", owner_ids=None) -> Decimal:
    return sum(
        (a for _, _, a in _pieces(measure, start, end, product_line, owner_ids, monthly=False)),
        ZERO,
    ).quantize(CENT)


def by_owner(measure, *, start, end, product_line="", owner_ids=None) -> dict[int, Decimal]:
    result: dict[int, Decimal] = {}
    for owner, _, amount in _pieces(measure, start, end, product_line, owner_ids, monthly=False):
        result[owner] = result.get(owner, ZERO) + amount
    return result


def _month(value) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    return value.replace(day=1)


def by_month(measure, *, start, end, product_line="", owner_ids=None) -> dict[dt.date, Decimal]:
    """Sum per month (first day of the month), every month of [start, end) present."""
    result = {month: ZERO for month in months_between(start, end)}
    for _, month, amount in _pieces(measure, start, end, product_line, owner_ids):
        result[month] = result.get(month, ZERO) + amount
    return result


def by_owner_month(
    measure, *, start, end, product_line="", owner_ids=None
) -> dict[int, dict[dt.date, Decimal]]:
    """Sum per owner and month (only owners with records)."""
    result: dict[int, dict[dt.date, Decimal]] = defaultdict(dict)
    for owner, month, amount in _pieces(measure, start, end, product_line, owner_ids):
        bucket = result[owner]
        bucket[month] = bucket.get(month, ZERO) + amount
    return dict(result)


# --- reading the rollup -----------------------------------------------------------------
#
# Whole months come from the rollup (``MeasureMonth``, kept by :mod:`.rollup`). A month the
# range cuts (health: "through today") counts the rollup rows whose records all lie inside
# the range (a row keeps its first and last day); an owner with a row that straddles the
# cut is read from the records themselves for that month's days in the range. Two queries
# on the rollup whatever the range, plus one on the records per cut month with straddlers
# (none when the range ends today and nothing is dated later).


def _rollup(measure, product_line, owner_ids):
    rows = MeasureMonth.objects.filter(measure=measure)
    if product_line:
        rows = rows.filter(product_line=product_line)
    if owner_ids is not None:
        rows = rows.filter(owner_id__in=owner_ids)
    return rows.order_by()


def _spans(start: dt.date, end: dt.date):
    """The whole months ``[first, until)`` of ``[start, end)`` and the cut months as
    ``(month, from, to)`` (the days ``from <= day < to`` of ``month``)."""
    first = start if start.day == 1 else add_months(_month(start), 1)
    until = _month(end)
    if first >= until:  # no whole month: every month the range touches is cut
        cuts, month = [], _month(start)
        while month < end:
            cuts.append((month, max(start, month), min(end, add_months(month, 1))))
            month = add_months(month, 1)
        return None, cuts
    cuts = []
    if start < first:
        cuts.append((_month(start), start, first))
    if until < end:
        cuts.append((until, until, end))
    return (first, until), cuts


def _pieces(
    measure, start: dt.date, end: dt.date, product_line="", owner_ids=None, *, monthly=True
):
    """(owner, month, amount) for ``start <= day < end``: several rows may share an owner
    and month (the callers add them up); month None with ``monthly`` False."""
    start, end = _day(start), _day(end)
    if end <= start:
        return
    if owner_ids is not None:
        owner_ids = list(owner_ids)
    whole, cuts = _spans(start, end)
    rows = _rollup(measure, product_line, owner_ids)
    straddlers: dict[dt.date, set[int]] = {}
    if cuts:
        crossing = Q()
        for month, lo, hi in cuts:  # a record inside and one outside the days
            crossing |= Q(month=month, first_on__lt=hi, last_on__gte=lo) & (
                Q(first_on__lt=lo) | Q(last_on__gte=hi)
            )
        for owner, month in rows.filter(crossing).values_list("owner_id", "month").distinct():
            straddlers.setdefault(_month(month), set()).add(owner)
    counted = Q(month__gte=whole[0], month__lt=whole[1]) if whole else Q(pk__in=[])
    for month, lo, hi in cuts:
        inside = Q(month=month, first_on__gte=lo, last_on__lt=hi)
        if straddlers.get(month):
            inside &= ~Q(owner_id__in=straddlers[month])
        counted |= inside
    keys = ("owner_id", "month") if monthly else ("owner_id",)
    grouped = rows.filter(counted).values(*keys).annotate(s=Sum("amount"))
    for *key, amount in grouped.values_list(*keys, "s"):
        yield key[0], (_month(key[1]) if monthly else None), _money(amount)
    for month, lo, hi in cuts:
        if not straddlers.get(month):
            continue
        src, records = _rows(
            measure, start=lo, end=hi, product_line=product_line, owner_ids=straddlers[month]
        )
        grouped = records.values_list(src.owner).annotate(s=Sum("amount"))
        for owner, amount in grouped.values_list(src.owner, "s"):
            yield owner, (month if monthly else None), _money(amount)


def _day(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


# --- fiscal periods ---------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """First days of the months from ``start``'s month up to (not including) ``end``."""
    months, month = [], _month(start)
    while month < end:
        months.append(month)
        month = add_months(month, 1)
    return months


def fiscal_start(year: int, policy: TargetPolicy | None = None) -> dt.date:
    policy = policy or TargetPolicy.current()
    return dt.date(year, policy.fiscal_year_start_month, 1)


def fiscal_months(year: int, policy: TargetPolicy | None = None) -> list[dt.date]:
    """The twelve months of fiscal ``year``, first day of each."""
    start = fiscal_start(year, policy)
    return [add_months(start, i) for i in range(12)]


def fiscal_range(year: int, policy: TargetPolicy | None = None) -> tuple[dt.date, dt.date]:
    """[start, end) of fiscal ``year``."""
    start = fiscal_start(year, policy)
    return start, add_months(start, 12)


def quarter_of(month: dt.date, year: int, policy: TargetPolicy | None = None) -> int:
    """The fiscal quarter (1–4) of ``month`` in fiscal ``year``."""
    start = fiscal_start(year, policy)
    offset = (month.year - start.year) * 12 + month.month - start.month
    if not 0 <= offset < 12:
        raise ValueError(f"{month} is outside fiscal year {year}")
    return offset // 3 + 1
