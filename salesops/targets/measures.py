"""What a target counts (its measure) and over which periods.

A plan's measure is payments received (回款: ``Payment.amount`` on ``received_on``, owned
by the contract's owner) or signed contract amount (``Contract.amount`` on ``signed_on``
for contracts in a signed status). A product line narrows both by the contract's product
line. Every sum here is one grouped query; money stays Decimal.

Fiscal periods: a fiscal year starts in :attr:`TargetPolicy.fiscal_year_start_month`
(January by default) and is named by the calendar year it starts in; months are the first
day of each month, quarters 1–4 count from the fiscal year's start.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import TruncMonth

from salesops.revenue.models import SIGNED_STATUSES, Contract, Payment

from .models import Measure, TargetPolicy

ZERO = Decimal("0.00")


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
    return (value or ZERO).quantize(Decimal("0.01"))


def total(measure, *, start, end, product_line="", owner_ids=None) -> Decimal:
    _, rows = _rows(measure, start=start, end=end, product_line=product_line, owner_ids=owner_ids)
    return _money(rows.aggregate(s=Sum("amount"))["s"])


def by_owner(measure, *, start, end, product_line="", owner_ids=None) -> dict[int, Decimal]:
    src, rows = _rows(measure, start=start, end=end, product_line=product_line, owner_ids=owner_ids)
    return {
        owner: _money(amount)
        for owner, amount in rows.values_list(src.owner)
        .annotate(s=Sum("amount"))
        .values_list(src.owner, "s")
    }


def _month(value) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    return value.replace(day=1)


def by_month(measure, *, start, end, product_line="", owner_ids=None) -> dict[dt.date, Decimal]:
    """Sum per month (first day of the month), every month of [start, end) present."""
    src, rows = _rows(measure, start=start, end=end, product_line=product_line, owner_ids=owner_ids)
    result = {month: ZERO for month in months_between(start, end)}
    grouped = rows.annotate(m=TruncMonth(src.date)).values("m").annotate(s=Sum("amount"))
    for row in grouped.values_list("m", "s"):
        result[_month(row[0])] = result.get(_month(row[0]), ZERO) + _money(row[1])
    return result


def by_owner_month(
    measure, *, start, end, product_line="", owner_ids=None
) -> dict[int, dict[dt.date, Decimal]]:
    """Sum per owner and month (only owners with records)."""
    src, rows = _rows(measure, start=start, end=end, product_line=product_line, owner_ids=owner_ids)
    result: dict[int, dict[dt.date, Decimal]] = defaultdict(dict)
    grouped = rows.annotate(m=TruncMonth(src.date)).values(src.owner, "m").annotate(s=Sum("amount"))
    for owner, month, amount in grouped.values_list(src.owner, "m", "s"):
        bucket = result[owner]
        bucket[_month(month)] = bucket.get(_month(month), ZERO) + _money(amount)
    return dict(result)


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
