"""Checks on how people are measured and paid: the KPI process share (K1) and deferred
bonus tranches forfeited for complaints (I2)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesops.core.exports import RowList
from salesops.incentives.models import LedgerLine, LineKind, Tranche
from salesops.kpi import selectors as kpi_selectors
from salesops.org.models import Role

from .base import PERCENT, Check, Measure, share, url_or_none


class KpiProcessShare(Check):
    code = "kpi_process_share"
    title = _("KPI process share within 25–40 %")
    definition = _(
        "Of the scope's active reps, the share scored by a KPI scheme whose version in force "
        "weighs the process group (effective touches, visits, proposals …) within the band "
        "set on this page (25–40 % by default)."
    )
    unit = PERCENT
    higher_is_better = True
    default_green, default_amber = Decimal(95), Decimal(80)
    fix_label = _("KPI schemes")
    columns = [
        (_("Scheme"), lambda r: r["scheme"]),
        (_("Process weight (%)"), lambda r: r["process"]),
        (_("Reps scored by it"), lambda r: r["reps"]),
    ]

    def _by_scheme(self, scope, ctx) -> tuple[dict, int, int]:
        """The scope's reps per scheme, how many reps, and how many no scheme scores."""
        key = ("kpi", scope.key)
        if key in ctx.cache:
            return ctx.cache[key]
        today = timezone.localtime(ctx.now).date()
        users = (
            get_user_model()
            .objects.filter(is_active=True, role=Role.REP, **scope.owners_filter("pk"))
            .select_related("team")
        )
        schemes: dict = {}
        reps = unscored = 0
        # Every rep's scheme and version in three queries, whatever the number of reps.
        for found in kpi_selectors.schemes_in_force(list(users), today).values():
            reps += 1
            if found is None:
                unscored += 1
                continue
            scheme, version = found
            if scheme.pk not in schemes:
                schemes[scheme.pk] = {
                    "scheme": scheme.name,
                    "pk": scheme.pk,
                    "process": None if version is None else version.process_weight,
                    "reps": 0,
                }
            schemes[scheme.pk]["reps"] += 1
        ctx.cache[key] = (schemes, reps, unscored)
        return schemes, reps, unscored

    def _inside(self, row, ctx) -> bool:
        return row["process"] is not None and ctx.process_min <= row["process"] <= ctx.process_max

    def measure(self, scope, ctx):
        schemes, reps, _unscored = self._by_scheme(scope, ctx)
        inside = sum(r["reps"] for r in schemes.values() if self._inside(r, ctx))
        note = "" if schemes else str(_("No KPI scheme scores these reps."))
        return Measure(share(inside, reps), inside, reps, note=note)

    def records(self, scope, ctx):
        schemes, _reps, unscored = self._by_scheme(scope, ctx)
        rows = [r for r in schemes.values() if not self._inside(r, ctx)]
        rows.sort(key=lambda r: r["scheme"])
        if unscored:
            # They count against the share too: without this row a red tile can have an
            # empty records page.
            rows.append(
                {"scheme": str(_("No KPI scheme")), "pk": None, "process": None, "reps": unscored}
            )
        return RowList(rows)

    def record_url(self, row):
        if row["pk"] is None:
            return url_or_none("kpi:scheme_list")
        return url_or_none("kpi:scheme_detail", row["pk"]) or url_or_none("kpi:scheme_list")

    def fix_url(self, ctx=None):
        return url_or_none("kpi:scheme_list")


class TrancheForfeits(Check):
    code = "tranche_forfeits"
    title = _("Bonus tranches forfeited for complaints")
    definition = _(
        "Of the quality tranches of deal bonuses (released after the quiet period without a "
        "major complaint) settled in the last months set on this page, the share forfeited "
        "by a major complaint."
    )
    unit = PERCENT
    higher_is_better = False
    default_green, default_amber = Decimal(5), Decimal(10)
    fix_label = _("Complaints")
    columns = [
        (_("Rep"), "rep.label"),
        (_("Month"), "period"),
        (_("Amount"), "amount"),
        (_("Account"), "account"),
        (_("Reason"), "reason"),
    ]
    search_fields = ("rep__display_name", "account__name", "reason")

    def _settled(self, scope, ctx):
        since = ctx.now - dt.timedelta(days=round(ctx.tranche_months * 30.44))
        return LedgerLine.objects.filter(
            kind__in=(LineKind.RELEASE, LineKind.FORFEIT),
            tranche=Tranche.QUALITY,
            created_at__gte=since,
            created_at__lte=ctx.now,
            **scope.owners_filter("rep"),
        )

    def measure(self, scope, ctx):
        counts = self._settled(scope, ctx).aggregate(
            total=Count("pk"), lost=Count("pk", filter=Q(kind=LineKind.FORFEIT))
        )
        return Measure(share(counts["lost"], counts["total"]), counts["lost"], counts["total"])

    def records(self, scope, ctx):
        return (
            self._settled(scope, ctx)
            .filter(kind=LineKind.FORFEIT)
            .select_related("rep", "account")
            .order_by("-created_at", "-pk")
        )

    def record_url(self, row):
        return url_or_none("incentives:line", row.pk)

    def fix_url(self, ctx=None):
        return url_or_none("aftersales:complaint_list")
