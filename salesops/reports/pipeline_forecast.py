"""The forecast (SPEC D6): the open deals' weighted pipeline by close period and by the
owner's commit category, per team and rep.

Definitions (shown on the page, P4):

* a deal counts in the period (month or quarter) of its **expected close date**; open
  deals without one are listed apart ("no close date");
* **weighted** = amount × the probability of the deal's stage ÷ 100, summed;
* the **commit categories** are the owner's call on each deal: *commit* (will close in
  the period), *best case* (may close), *pipeline* (open, not called yet); *omitted* deals
  are shown but left out of the totals. *Best case* in the summary includes *commit*.

One ``GROUP BY`` (owner, close month, category) over the visible open deals; months roll
up to quarters and owners to their teams in Python.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Sum, Value
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext_lazy as _

from salesops.org.models import Team, User
from salesops.pipeline.models import CommitCategory, Deal, DealStatus

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
CATEGORIES = (CommitCategory.COMMIT, CommitCategory.BEST_CASE, CommitCategory.PIPELINE)
GRANULARITIES = (("month", _("Month")), ("quarter", _("Quarter")))


def weighted_expression():
    return ExpressionWrapper(
        F("amount") * F("stage__probability") / Value(Decimal("100")),
        output_field=DecimalField(max_digits=20, decimal_places=4),
    )


def period_start(day: dt.date | None, granularity: str) -> dt.date | None:
    if day is None:
        return None
    if granularity == "quarter":
        return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return dt.date(day.year, day.month, 1)


def period_label(start: dt.date | None, granularity: str) -> str:
    if start is None:
        return str(_("No close date"))
    if granularity == "quarter":
        return f"{start.year} Q{(start.month - 1) // 3 + 1}"
    return start.strftime("%Y-%m")


@dataclass
class Figures:
    """Sums of one cell (a period, an owner, a team …)."""

    deals: int = 0
    amount: Decimal = ZERO
    weighted: Decimal = ZERO
    by_category: dict = field(default_factory=dict)  # category → [amount, weighted, deals]

    def add(self, category: str, deals: int, amount, weighted) -> None:
        amount = Decimal(amount or 0).quantize(CENT)
        weighted = Decimal(weighted or 0).quantize(CENT)
        cell = self.by_category.setdefault(category, [ZERO, ZERO, 0])
        cell[0] += amount
        cell[1] += weighted
        cell[2] += deals
        if category != CommitCategory.OMITTED:
            self.deals += deals
            self.amount += amount
            self.weighted += weighted

    def merge(self, other: Figures) -> None:
        for category, (amount, weighted, deals) in other.by_category.items():
            self.add(category, deals, amount, weighted)

    def category_amount(self, category: str) -> Decimal:
        return self.by_category.get(category, [ZERO])[0]

    def category_weighted(self, category: str) -> Decimal:
        return self.by_category.get(category, [ZERO, ZERO])[1]

    @property
    def commit(self) -> Decimal:
        return self.category_amount(CommitCategory.COMMIT)

    @property
    def best_case(self) -> Decimal:
        return self.commit + self.category_amount(CommitCategory.BEST_CASE)

    @property
    def pipeline(self) -> Decimal:
        return self.category_amount(CommitCategory.PIPELINE)

    @property
    def omitted(self) -> Decimal:
        return self.category_amount(CommitCategory.OMITTED)


@dataclass
class Forecast:
    granularity: str
    periods: list = field(default_factory=list)  # [(start, label, Figures)]
    owners: list = field(default_factory=list)  # [(user, Figures)]
    teams: list = field(default_factory=list)  # [(team or None, Figures)]
    total: Figures = field(default_factory=Figures)

    def chart(self) -> dict:
        labels = [label for _s, label, _f in self.periods]
        series = {
            str(category): [float(f.category_weighted(category)) for _s, _l, f in self.periods]
            for category in CATEGORIES
        }
        names = {str(c): str(c.label) for c in CATEGORIES}
        return {"labels": labels, "series": series, "names": names}


def open_deals(*, owner_ids=None, product_line: str = "", pipeline=None):
    deals = Deal.objects.filter(status=DealStatus.OPEN)
    if owner_ids is not None:
        deals = deals.filter(owner_id__in=owner_ids)
    if product_line:
        deals = deals.filter(product_line=product_line)
    if pipeline is not None:
        deals = deals.filter(pipeline=pipeline)
    return deals


def grouped(deals) -> list[dict]:
    """``[{owner, month, category, deals, amount, weighted}]`` in one ``GROUP BY``."""
    return list(
        deals.order_by()
        .annotate(month=TruncMonth("expected_close_date"))
        .values("owner_id", "month", "commit_category")
        .annotate(
            n=Count("id"),
            total=Sum("amount"),
            weighted=Sum(weighted_expression()),
        )
    )


def forecast(
    *,
    owner_ids=None,
    product_line: str = "",
    pipeline=None,
    granularity: str = "month",
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Forecast:
    """The weighted pipeline of the open deals closing ``start``..``end`` (both given as
    days; either may be None for open-ended), plus those without a close date."""
    deals = open_deals(owner_ids=owner_ids, product_line=product_line, pipeline=pipeline)
    result = Forecast(granularity=granularity)
    by_period: dict = defaultdict(Figures)
    by_owner: dict = defaultdict(Figures)
    for row in grouped(deals):
        month = row["month"]
        if isinstance(month, dt.datetime):
            month = month.date()
        if month is not None and (
            (start is not None and month < period_start(start, "month"))
            or (end is not None and month > end)
        ):
            continue
        key = period_start(month, granularity)
        args = (row["commit_category"], row["n"], row["total"], row["weighted"])
        by_period[key].add(*args)
        by_owner[row["owner_id"]].add(*args)
        result.total.add(*args)
    result.periods = [
        (key, period_label(key, granularity), by_period[key])
        for key in sorted(by_period, key=lambda k: (k is None, k or dt.date.min))
    ]
    users = User.objects.select_related("team").in_bulk(list(by_owner))
    result.owners = sorted(
        ((users[pk], figures) for pk, figures in by_owner.items() if pk in users),
        key=lambda item: -item[1].weighted,
    )
    result.teams = roll_up_teams(result.owners)
    return result


def roll_up_teams(owners: list, *, factory=Figures) -> list:
    """Each team's figures: its members' and those of every team below it."""
    teams = {team.pk: team for team in Team.objects.all()}
    totals: dict = defaultdict(factory)
    for user, figures in owners:
        if user.team_id is None:
            totals[None].merge(figures)
            continue
        for part in user.team.path.strip("/").split("/"):
            if part and int(part) in teams:
                totals[int(part)].merge(figures)
    rows = [(teams.get(pk) if pk else None, figures) for pk, figures in totals.items()]
    return sorted(rows, key=lambda item: (item[0] is None, getattr(item[0], "path", "")))
