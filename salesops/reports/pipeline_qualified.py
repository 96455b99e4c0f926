"""The qualified pipeline (有效商机储备, SPEC D8): open deals whose need, budget and
decision maker are all confirmed (``Deal.objects.qualified()``), summed per rep and team.

:func:`qualified_pipeline` is the figure other modules read (targets): the amount of the
qualified open deals of an owner, a team (its subtree) or everyone, optionally of one
product line, as of a day. "As of a day" counts the deals that were open at the end of
that day (created by then, not closed by then) with their qualification flags as they
are now — the flags' history is not replayed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from salesops.org.models import Team, User
from salesops.pipeline.models import Deal, DealStatus

from .pipeline_forecast import ZERO, roll_up_teams, weighted_expression


def _open_on(deals, on: dt.date | None):
    if on is None:
        return deals.filter(status=DealStatus.OPEN)
    tz = timezone.get_default_timezone()
    end = timezone.make_aware(dt.datetime.combine(on + dt.timedelta(days=1), dt.time.min), tz)
    return deals.filter(created_at__lt=end).filter(
        Q(closed_at__isnull=True) | Q(closed_at__gte=end)
    )


def qualified_deals(*, owner=None, team=None, product_line=None, on=None, owner_ids=None):
    deals = _open_on(Deal.objects.qualified(), on)
    if owner is not None:
        deals = deals.filter(owner=owner)
    if team is not None:
        deals = deals.filter(owner__team__path__startswith=team.path)
    if product_line:
        deals = deals.filter(product_line=product_line)
    if owner_ids is not None:
        deals = deals.filter(owner_id__in=owner_ids)
    return deals


def qualified_pipeline(
    *,
    owner: User | None = None,
    team: Team | None = None,
    product_line: str | None = None,
    on: dt.date | None = None,
) -> Decimal:
    """The amount of the qualified open deals (see the module docstring)."""
    total = qualified_deals(owner=owner, team=team, product_line=product_line, on=on).aggregate(
        s=Sum("amount")
    )["s"]
    return Decimal(total or 0).quantize(Decimal("0.01"))


@dataclass
class QualifiedFigures:
    deals: int = 0
    amount: Decimal = ZERO
    weighted: Decimal = ZERO
    open_deals: int = 0
    open_amount: Decimal = ZERO

    @property
    def share(self) -> float | None:
        if not self.open_amount:
            return None
        return round(float(self.amount / self.open_amount) * 100, 1)

    def merge(self, other: QualifiedFigures) -> None:
        self.deals += other.deals
        self.amount += other.amount
        self.weighted += other.weighted
        self.open_deals += other.open_deals
        self.open_amount += other.open_amount


@dataclass
class QualifiedReport:
    owners: list = field(default_factory=list)
    teams: list = field(default_factory=list)
    total: QualifiedFigures = field(default_factory=QualifiedFigures)
    missing: dict = field(default_factory=dict)  # flag → open deals lacking it


def qualified_report(*, owner_ids=None, product_line: str = "", on=None) -> QualifiedReport:
    """Per rep: qualified deals, amount and weighted amount, against all their open
    deals; teams roll up their subtree. Two ``GROUP BY owner`` queries."""
    all_open = _open_on(Deal.objects.all(), on)
    if owner_ids is not None:
        all_open = all_open.filter(owner_id__in=owner_ids)
    if product_line:
        all_open = all_open.filter(product_line=product_line)
    per_owner: dict = defaultdict(QualifiedFigures)
    for row in all_open.order_by().values("owner_id").annotate(n=Count("id"), s=Sum("amount")):
        per_owner[row["owner_id"]].open_deals = row["n"]
        per_owner[row["owner_id"]].open_amount = Decimal(row["s"] or 0).quantize(Decimal("0.01"))
    for row in (
        all_open.qualified()
        .order_by()
        .values("owner_id")
        .annotate(n=Count("id"), s=Sum("amount"), w=Sum(weighted_expression()))
    ):
        cell = per_owner[row["owner_id"]]
        cell.deals = row["n"]
        cell.amount = Decimal(row["s"] or 0).quantize(Decimal("0.01"))
        cell.weighted = Decimal(row["w"] or 0).quantize(Decimal("0.01"))
    report = QualifiedReport()
    users = User.objects.select_related("team").in_bulk(list(per_owner))
    report.owners = sorted(
        ((users[pk], f) for pk, f in per_owner.items() if pk in users),
        key=lambda item: (-item[1].amount, item[0].label),
    )
    for _user, figures in report.owners:
        report.total.merge(figures)
    report.teams = roll_up_teams(report.owners, factory=QualifiedFigures)
    report.missing = {
        flag: all_open.filter(**{flag: False}).count()
        for flag in ("need_confirmed", "budget_confirmed", "decision_maker_identified")
    }
    return report
