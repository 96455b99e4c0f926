"""What a check is: a metric over a scope, judged against an editable threshold.

A check computes :class:`Measure` (``value`` and, where it is a share, the counts behind
it) with aggregate queries over the scope's records, gives the queryset (or rows) of the
records that make it weak, and names the page or rule that fixes it.

Lights: for a check where higher is better, ``value ≥ green`` is green, ``value ≥ amber``
amber, anything below red; where lower is better the comparisons turn round. A check with
no data to judge (no leads assigned in the window, no snapshot yet) has no light; one
whose source is not built yet is ``unavailable``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.urls import NoReverseMatch, reverse

from salesops.core import clock

GREEN, AMBER, RED, NONE, UNAVAILABLE = "green", "amber", "red", "none", "unavailable"
PERCENT, NUMBER, RATIO = "percent", "number", "ratio"
HUNDRED = Decimal(100)


@dataclass
class Measure:
    value: Decimal | None
    numerator: Decimal | int | None = None
    denominator: Decimal | int | None = None
    note: str = ""
    available: bool = True


@dataclass
class Context:
    """What every check of one run reads: the instant, the settings in force."""

    now: dt.datetime
    window_days: int = 30
    sleeping_hours: int = 48
    process_min: int = 25
    process_max: int = 40
    tranche_months: int = 12
    thresholds: dict = field(default_factory=dict)  # code → (green, amber)
    cache: dict = field(default_factory=dict)

    def green(self, check) -> Decimal:
        return self.thresholds.get(check.code, (check.default_green,))[0]

    @property
    def window_start(self) -> dt.datetime:
        return self.now - dt.timedelta(days=self.window_days)

    @classmethod
    def from_policy(cls, policy, now: dt.datetime | None = None, thresholds=None) -> Context:
        return cls(
            now=now or clock.now(),
            window_days=policy.window_days,
            sleeping_hours=policy.sleeping_hours,
            process_min=policy.process_min,
            process_max=policy.process_max,
            tranche_months=policy.tranche_months,
            thresholds=thresholds or {},
        )


def share(part, whole) -> Decimal | None:
    """``part ÷ whole`` in percent, one decimal; ``None`` when there is nothing to divide."""
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def light(value, green, amber, higher_is_better: bool) -> str:
    if value is None:
        return NONE
    value, green, amber = Decimal(value), Decimal(green), Decimal(amber)
    if higher_is_better:
        return GREEN if value >= green else AMBER if value >= amber else RED
    return GREEN if value <= green else AMBER if value <= amber else RED


def url_or_none(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


class Check:
    """One diagnosis check; subclasses set the attributes and implement the methods."""

    code: str = ""
    title = ""
    definition = ""
    unit: str = PERCENT
    higher_is_better: bool = True
    default_green: Decimal = Decimal(0)
    default_amber: Decimal = Decimal(0)
    bounds: tuple[Decimal, Decimal] = (Decimal(0), Decimal(100))
    fix_label = ""
    # Columns of the records page and its export: (header, accessor) pairs.
    columns: list = []
    # Field lookups the records page's search box looks in (querysets only).
    search_fields: tuple[str, ...] = ()
    available: bool = True

    def measure(self, scope, ctx: Context) -> Measure:
        raise NotImplementedError

    def records(self, scope, ctx: Context):
        """The records that make the check weak: a queryset, or a ``RowList`` of dicts."""
        raise NotImplementedError

    def record_url(self, row) -> str | None:
        url = getattr(row, "get_absolute_url", None)
        return url() if callable(url) else None

    def fix_url(self, ctx: Context | None = None) -> str | None:
        return None

    def format(self, value) -> str:
        if value is None:
            return "—"
        value = Decimal(value)
        if self.unit == PERCENT:
            return f"{value.quantize(Decimal('0.1'))} %"
        if self.unit == RATIO:
            return f"{value.quantize(Decimal('0.01'))}"
        return f"{value.quantize(Decimal('0.1'))}"


def rule_url(code: str) -> str | None:
    """The page of the automation rule ``code`` (the list of rules when it was deleted)."""
    from salesops.automation.models import Rule

    pk = Rule.objects.filter(code=code).values_list("pk", flat=True).first()
    if pk is None:
        return url_or_none("automation:rule_list")
    return url_or_none("automation:rule_detail", pk)


def column_value(row, accessor, rows=None):
    """One cell of the records page, read the way the export reads it."""
    from salesops.core.exports import column_getter

    model = getattr(rows, "model", None)
    value = column_getter(model, accessor)(row)
    return value
