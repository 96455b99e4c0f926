"""Activity checks: check-in completion (A2) and effective touches per rep per day (A3)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesops.activities.models import Activity, ActivityRollup
from salesops.core import calendar
from salesops.core.exports import RowList
from salesops.org.models import Role

from .base import NUMBER, PERCENT, Check, Measure, share, url_or_none

# An activity logged in the last hour may still be checked in: it is not judged yet.
GRACE = dt.timedelta(hours=1)


class CheckinCompletion(Check):
    code = "checkin_completion"
    title = _("Check-in completion")
    definition = _(
        "Of the activities started in the window (and more than an hour ago), the share "
        "finished with a result tag — the 30-second check-in."
    )
    unit = PERCENT
    higher_is_better = True
    default_green, default_amber = Decimal(95), Decimal(85)
    fix_label = _("Unfinished check-ins")
    columns = [
        (_("Type"), "kind"),
        (_("Owner"), "owner.label"),
        (_("Started at"), "started_at"),
        (_("Lead"), "lead"),
        (_("Account"), "account"),
    ]
    search_fields = ("owner__display_name", "lead__company", "account__name")

    def _window(self, scope, ctx):
        return Activity.objects.filter(
            started_at__gte=ctx.window_start,
            started_at__lt=ctx.now - GRACE,
            **scope.owners_filter("owner"),
        )

    def measure(self, scope, ctx):
        counts = self._window(scope, ctx).aggregate(
            total=Count("pk"), done=Count("pk", filter=Q(tag__isnull=False))
        )
        return Measure(share(counts["done"], counts["total"]), counts["done"], counts["total"])

    def records(self, scope, ctx):
        return (
            self._window(scope, ctx)
            .filter(tag__isnull=True)
            .select_related("owner", "lead", "account")
            .order_by("-started_at", "-pk")
        )

    def fix_url(self, ctx=None):
        url = url_or_none("activities:activity_list")
        return f"{url}?finished=false" if url else None


def _days(ctx) -> tuple[dt.date, dt.date, int]:
    """The window's whole local days before today, and how many of them were workdays."""
    last = timezone.localtime(ctx.now).date() - dt.timedelta(days=1)
    first = last - dt.timedelta(days=ctx.window_days - 1)
    return first, last, calendar.working_days_between(first - dt.timedelta(days=1), last)


def _reps(scope):
    users = get_user_model().objects.filter(is_active=True, role=Role.REP)
    return users.filter(**scope.owners_filter("pk"))


class EffectiveTouches(Check):
    code = "effective_touches"
    title = _("Effective touches per rep per day")
    definition = _(
        "Effective touches (an activity with a result tag and at least 30 s of interaction) "
        "of the scope's active reps over the window's whole days, divided by reps × working "
        "days (Chinese working-day calendar)."
    )
    unit = NUMBER
    higher_is_better = True
    default_green, default_amber = Decimal(8), Decimal(5)
    bounds = (Decimal(0), Decimal(200))
    fix_label = _("Morning heatmap")
    columns = [
        (_("Rep"), lambda r: r["rep"]),
        (_("Effective touches"), lambda r: r["effective"]),
        (_("Working days"), lambda r: r["days"]),
        (_("Per working day"), lambda r: r["per_day"]),
    ]

    def _per_rep(self, scope, ctx) -> tuple[dict, list, int]:
        first, last, workdays = _days(ctx)
        reps = list(_reps(scope).values_list("pk", "display_name", "username"))
        sums = dict(
            ActivityRollup.objects.filter(
                day__gte=first, day__lte=last, owner_id__in=[pk for pk, *_rest in reps]
            )
            .order_by()
            .values("owner_id")
            .annotate(n=Sum("effective"))
            .values_list("owner_id", "n")
        )
        return sums, reps, workdays

    def measure(self, scope, ctx):
        sums, reps, workdays = self._per_rep(scope, ctx)
        total = sum(sums.values())
        if not reps or not workdays:
            return Measure(None, total, 0)
        value = (Decimal(total) / Decimal(len(reps) * workdays)).quantize(
            Decimal("0.1"), ROUND_HALF_UP
        )
        return Measure(value, total, len(reps) * workdays)

    def records(self, scope, ctx):
        sums, reps, workdays = self._per_rep(scope, ctx)
        green = ctx.green(self)
        rows = []
        for pk, name, username in reps:
            n = sums.get(pk, 0) or 0
            per_day = (Decimal(n) / workdays).quantize(Decimal("0.1")) if workdays else None
            if per_day is not None and per_day < green:
                rows.append(
                    {
                        "pk": pk,
                        "rep": name or username,
                        "effective": n,
                        "days": workdays,
                        "per_day": per_day,
                    }
                )
        rows.sort(key=lambda r: (r["per_day"], r["rep"]))
        return RowList(rows)

    def record_url(self, row):
        url = url_or_none("activities:activity_list")
        return f"{url}?owner={row['pk']}" if url else None

    def fix_url(self, ctx=None):
        return url_or_none("reports:heatmap")
