"""The queues of finance (overdue instalments, payments due soon), customer success
(open complaints and tickets, renewals due) and the sales-ops admin (configuration
health). Each list is one query over what the user sees, shortened to :data:`SHOWN` rows
with a link to the full filtered list."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Least

from salesops.aftersales import selectors as aftersales_selectors
from salesops.aftersales.models import Complaint, Renewal, RenewalStatus, ServiceTicket
from salesops.automation.models import Rule
from salesops.core import calendar, clock
from salesops.leads.models import OPEN_STATUSES, Lead, RoutingRule
from salesops.notifications import selectors as notification_selectors
from salesops.revenue.models import Contract, Instalment, Payment

SHOWN = 10
DUE_SOON_DAYS = 14
RENEWAL_DAYS = 60
MONEY = DecimalField(max_digits=16, decimal_places=2)


def _sum(queryset, field="amount"):
    """A correlated SUM subquery per contract (0 when there is nothing)."""
    return Coalesce(
        Subquery(
            queryset.values("contract_id").annotate(s=Sum(field)).values("s")[:1],
            output_field=MONEY,
        ),
        Value(Decimal(0)),
        output_field=MONEY,
    )


def unpaid_instalments(user):
    """Instalments not yet covered by the contract's payments: the payments received fill
    the plan from its first instalment on (as the contract page counts them), so an
    instalment is open while the payments are less than the plan up to and including it."""
    contracts = Contract.objects.visible_to(user)
    up_to = Instalment.objects.filter(
        contract_id=OuterRef("contract_id"), sequence__lte=OuterRef("sequence")
    )
    paid = Payment.objects.filter(contract_id=OuterRef("contract_id"))
    return (
        Instalment.objects.filter(contract__in=contracts)
        .annotate(planned=_sum(up_to), paid=_sum(paid))
        .filter(paid__lt=F("planned"))
        .annotate(open_amount=Least(F("amount"), F("planned") - F("paid"), output_field=MONEY))
        .select_related("contract", "contract__account")
        .order_by("due_on", "id")
    )


def finance(user) -> dict:
    today = clock.today()
    unpaid = unpaid_instalments(user)
    overdue = unpaid.filter(due_on__lt=today)
    soon = unpaid.filter(due_on__gte=today, due_on__lte=today + dt.timedelta(days=DUE_SOON_DAYS))
    return {
        "overdue": list(overdue[:SHOWN]),
        "overdue_count": overdue.count(),
        "soon": list(soon[:SHOWN]),
        "soon_count": soon.count(),
        "soon_days": DUE_SOON_DAYS,
        "flagged_count": Payment.objects.visible_to(user).filter(flagged=True).count(),
    }


def customer_success(user) -> dict:
    complaints = (
        aftersales_selectors.record_list(Complaint, user=user).open().order_by("raised_on", "id")
    )
    tickets = (
        aftersales_selectors.record_list(ServiceTicket, user=user)
        .filter(resolved_at__isnull=True)
        .order_by("opened_at", "id")
    )
    today = clock.today()
    renewals = (
        aftersales_selectors.record_list(Renewal, user=user)
        .filter(
            status=RenewalStatus.PENDING,
            due_on__gte=today,
            due_on__lte=today + dt.timedelta(days=RENEWAL_DAYS),
        )
        .order_by("due_on", "id")
    )
    return {
        "complaints": list(complaints[:SHOWN]),
        "complaint_count": complaints.count(),
        "tickets": list(tickets[:SHOWN]),
        "ticket_count": tickets.count(),
        "renewals": list(renewals[:SHOWN]),
        "renewal_count": renewals.count(),
        "renewal_days": RENEWAL_DAYS,
    }


def admin(user) -> dict:
    """Configuration health: leads no rule could place, failed deliveries, routing rules
    and automation rules switched off."""
    pool = Lead.objects.visible_to(user).filter(owner__isnull=True, status__in=OPEN_STATUSES)
    failed = notification_selectors.delivery_list(user=user, status="failed")
    return {
        "pool_count": pool.count(),
        "pool_oldest": pool.order_by("created_at").values_list("created_at", flat=True).first(),
        "failed_count": failed.count(),
        "gave_up_count": failed.filter(Q(next_attempt_at__isnull=True)).count(),
        "routing_active": RoutingRule.objects.filter(is_active=True).count(),
        "rules_off": Rule.objects.filter(is_active=False).count(),
        # Years whose holidays neither chinese-calendar nor the admin knows (SPEC P2):
        # their 元旦 or National Day would silently count as workdays.
        "calendar_missing_years": calendar.years_without_data(clock.today()),
    }
