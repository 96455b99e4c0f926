"""Pipeline checks: stage changes with evidence (D2), stalled deals (D4), forecast
accuracy (D6)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesops.core.exports import RowList
from salesops.pipeline.defaults.rules import STALL_RULE
from salesops.pipeline.models import (
    ChangeDirection,
    ChangeState,
    Deal,
    DealStatus,
    Evidence,
    StageChange,
)
from salesops.reports import forecast_snapshots

from .base import PERCENT, Check, Measure, rule_url, share, url_or_none

# How many weeks before the month's end the forecast is read (the forecast page's default).
ACCURACY_WEEKS = 4


def _with_evidence():
    """A moved-forward change is backed by evidence uploaded with it, or uploaded while the
    deal was in the stage it left."""
    return Exists(Evidence.objects.filter(stage_change=OuterRef("pk"))) | Exists(
        Evidence.objects.filter(deal=OuterRef("deal"), stage=OuterRef("from_stage"))
    )


class StageEvidence(Check):
    code = "stage_evidence"
    title = _("Stage changes with evidence")
    definition = _(
        "Of the forward stage moves applied in the window, the share backed by evidence (a "
        "file uploaded with the move or while the deal was in the stage it left)."
    )
    unit = PERCENT
    higher_is_better = True
    default_green, default_amber = Decimal(90), Decimal(70)
    fix_label = _("Pipelines: required evidence per stage")
    columns = [
        (_("Deal"), "deal.name"),
        (_("Owner"), "owner.label"),
        (_("From stage"), "from_stage"),
        (_("To stage"), "to_stage"),
        (_("Applied at"), "applied_at"),
    ]
    search_fields = ("deal__name",)

    def _moves(self, scope, ctx):
        return StageChange.objects.filter(
            state=ChangeState.APPLIED,
            direction=ChangeDirection.FORWARD,
            applied_at__gte=ctx.window_start,
            applied_at__lte=ctx.now,
            **scope.owners_filter("owner"),
        )

    def measure(self, scope, ctx):
        # The condition inside the FILTER clause itself: PostgreSQL cannot read an
        # annotation's alias there.
        counts = self._moves(scope, ctx).aggregate(
            total=Count("pk"), backed=Count("pk", filter=_with_evidence())
        )
        return Measure(share(counts["backed"], counts["total"]), counts["backed"], counts["total"])

    def records(self, scope, ctx):
        return (
            self._moves(scope, ctx)
            .annotate(backed=_with_evidence())
            .filter(backed=False)
            .select_related("deal", "owner", "from_stage", "to_stage")
            .order_by("-applied_at", "-pk")
        )

    def record_url(self, row):
        return row.deal.get_absolute_url()

    def fix_url(self, ctx=None):
        return url_or_none("pipeline:configure")


class StalledDeals(Check):
    code = "stalled_deals"
    title = _("Deals stalled over 5 working days")
    definition = _(
        "Of the open deals, the share that stayed in their stage longer than the stage allows "
        "(5 working days by default, Chinese working-day calendar with make-up days)."
    )
    unit = PERCENT
    higher_is_better = False
    default_green, default_amber = Decimal(10), Decimal(25)
    fix_label = _("Stall alert rule")
    columns = [
        (_("Deal"), "name"),
        (_("Owner"), "owner.label"),
        (_("Stage"), "stage"),
        (_("In stage since"), "stage_entered_at"),
        (_("Stalls at"), "stall_due_at"),
        (_("Amount"), "amount"),
    ]
    search_fields = ("name", "account__name")

    def _open(self, scope):
        return Deal.objects.filter(status=DealStatus.OPEN, **scope.owners_filter("owner"))

    def measure(self, scope, ctx):
        counts = self._open(scope).aggregate(
            total=Count("pk"), stalled=Count("pk", filter=Q(stall_due_at__lte=ctx.now))
        )
        return Measure(
            share(counts["stalled"], counts["total"]), counts["stalled"], counts["total"]
        )

    def records(self, scope, ctx):
        return (
            self._open(scope)
            .filter(stall_due_at__lte=ctx.now)
            .select_related("owner", "stage")
            .order_by("stall_due_at", "pk")
        )

    def fix_url(self, ctx=None):
        return rule_url(STALL_RULE)


def last_closed_month(ctx) -> dt.date:
    first = timezone.localtime(ctx.now).date().replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1)


class ForecastAccuracy(Check):
    code = "forecast_accuracy"
    title = _("Forecast accuracy")
    definition = _(
        "Last closed month: 1 − |won − forecast| ÷ won, the forecast being the weighted "
        "pipeline of the weekly snapshot taken 4 weeks before the month's end (the forecast "
        "page's accuracy)."
    )
    unit = PERCENT
    higher_is_better = True
    default_green, default_amber = Decimal(85), Decimal(70)
    fix_label = _("Forecast and accuracy")
    columns = [
        (_("Rep"), lambda r: r["rep"]),
        (_("Forecast"), lambda r: r["forecast"]),
        (_("Won"), lambda r: r["actual"]),
        (_("Accuracy (%)"), lambda r: r["accuracy"]),
    ]

    def _report(self, scope, ctx):
        key = ("forecast", scope.key)
        if key not in ctx.cache:
            ctx.cache[key] = forecast_snapshots.accuracy_report(
                month=last_closed_month(ctx),
                weeks=ACCURACY_WEEKS,
                owner_ids=None if scope.owner_ids is None else list(scope.owner_ids),
            )
        return ctx.cache[key]

    def measure(self, scope, ctx):
        report = self._report(scope, ctx)
        if report.total is None or report.taken_on is None:
            return Measure(None, note=str(_("No forecast snapshot for the month yet.")))
        value = report.total.accuracy
        return Measure(
            None if value is None else Decimal(str(value)),
            report.total.actual,
            report.total.forecast,
        )

    def records(self, scope, ctx):
        green = ctx.green(self)
        report = self._report(scope, ctx)
        if report.taken_on is None:
            # No snapshot to read the forecast from: the check has no value, and the reps'
            # forecast of 0 would list every rep who won anything as 0 % accurate.
            return RowList([])
        rows = []
        for row in report.owners:
            value = row.accuracy
            if value is not None and Decimal(str(value)) < green:
                rows.append(
                    {
                        "rep": row.label,
                        "pk": row.owner.pk if row.owner else None,
                        "forecast": row.forecast,
                        "actual": row.actual,
                        "accuracy": Decimal(str(value)),
                    }
                )
        rows.sort(key=lambda r: r["accuracy"])
        return RowList(rows)

    def record_url(self, row):
        return url_or_none("reports:pipeline_forecast")

    def fix_url(self, ctx=None):
        return url_or_none("reports:pipeline_forecast")
