"""Lead checks: the first response inside the SLA (L6) and sleeping leads."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from salesops.leads.models import OPEN_STATUSES, Lead, SlaState
from salesops.leads.sla import SLA_RULE_CODE

from .base import PERCENT, Check, Measure, rule_url, share

JUDGED = (SlaState.MET, SlaState.LATE, SlaState.BREACHED)
ESCALATION_RULE = "lead-escalation"
LEAD_COLUMNS = [
    (_("Company"), "company"),
    (_("Contact"), "contact_name"),
    (_("Owner"), "owner.label"),
    (_("Assigned at"), "assigned_at"),
    (_("First contact"), "first_contact_at"),
    (_("First-response SLA"), "sla_state"),
    (_("Last progress at"), "progressed_at"),
]


def _leads(scope):
    return Lead.objects.filter(**scope.owners_filter("owner"))


class FirstResponse(Check):
    code = "first_response"
    title = _("First response within 60 minutes")
    definition = _(
        "Of the leads assigned in the window whose first-response clock has been judged, the "
        "share contacted inside the first-response SLA (60 working minutes by default; the "
        "automation rule “first-response SLA” sets it)."
    )
    unit = PERCENT
    higher_is_better = True
    default_green, default_amber = Decimal(90), Decimal(75)
    fix_label = _("First-response SLA rule")
    columns = LEAD_COLUMNS
    search_fields = ("company", "contact_name", "phone")

    def _window(self, scope, ctx):
        return _leads(scope).filter(assigned_at__gte=ctx.window_start, assigned_at__lte=ctx.now)

    def measure(self, scope, ctx):
        counts = self._window(scope, ctx).aggregate(
            judged=Count("pk", filter=Q(sla_state__in=JUDGED)),
            met=Count("pk", filter=Q(sla_state=SlaState.MET)),
        )
        return Measure(share(counts["met"], counts["judged"]), counts["met"], counts["judged"])

    def records(self, scope, ctx):
        # The state through Lower(): the same values (stored lower-case), but SQLite's
        # planner, without statistics, would otherwise read every late lead ever through
        # the SLA index and sort them (1.4 s at bench/outcomes.py's size) instead of the
        # window's newest through the assigned_at index.
        return (
            self._window(scope, ctx)
            .alias(state=Lower("sla_state"))
            .filter(state__in=(SlaState.LATE, SlaState.BREACHED))
            .select_related("owner")
            .order_by("-assigned_at", "-pk")
        )

    def fix_url(self, ctx=None):
        return rule_url(SLA_RULE_CODE)


class SleepingLeads(Check):
    code = "sleeping_leads"
    title = _("Sleeping leads")
    definition = _(
        "Of the open leads that have an owner, the share with no touch (no progress: a "
        "contact, a check-in or a status change) for more than the sleeping hours (48 h by "
        "default)."
    )
    unit = PERCENT
    higher_is_better = False
    default_green, default_amber = Decimal(10), Decimal(20)
    fix_label = _("Escalation rule for untouched leads")
    columns = LEAD_COLUMNS
    search_fields = ("company", "contact_name", "phone")

    def _cutoff(self, ctx):
        return ctx.now - dt.timedelta(hours=ctx.sleeping_hours)

    def _open(self, scope):
        return _leads(scope).filter(status__in=OPEN_STATUSES, owner__isnull=False)

    def measure(self, scope, ctx):
        counts = self._open(scope).aggregate(
            total=Count("pk"),
            sleeping=Count("pk", filter=Q(progressed_at__lt=self._cutoff(ctx))),
        )
        return Measure(
            share(counts["sleeping"], counts["total"]), counts["sleeping"], counts["total"]
        )

    def records(self, scope, ctx):
        return (
            self._open(scope)
            .filter(progressed_at__lt=self._cutoff(ctx))
            .select_related("owner")
            .order_by("progressed_at", "pk")
        )

    def fix_url(self, ctx=None):
        return rule_url(ESCALATION_RULE)
