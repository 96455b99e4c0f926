"""The director's home: the organisation's figures by team — leads today, open leads,
overdue first responses, escalations, effective touches today, contracts signed and
payments received this month. One GROUP BY per figure over what the director sees; each
team's row adds up its whole subtree (the company's row is the organisation)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Q, Sum

from salesops.activities import selectors as activity_selectors
from salesops.activities.models import ActivityRollup
from salesops.core import clock
from salesops.leads.models import OPEN_STATUSES, Lead
from salesops.org.models import Team
from salesops.revenue.models import Contract, Payment

FIGURES = ("leads_today", "open", "overdue", "escalated", "touches", "signed", "paid")


def _by_team(user) -> dict[int | None, dict]:
    today = clock.today()
    start = activity_selectors.day_start(today)
    month_start = today.replace(day=1)
    now = clock.now()
    figures: dict[int | None, dict] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    is_open = Q(status__in=OPEN_STATUSES)
    uncontacted = is_open & Q(first_contact_at__isnull=True)
    leads = (
        Lead.objects.visible_to(user)
        .filter(Q(created_at__gte=start) | is_open)
        .values("team_id")
        .annotate(
            leads_today=Count("id", filter=Q(created_at__gte=start)),
            open=Count("id", filter=is_open),
            overdue=Count("id", filter=uncontacted & Q(sla_due_at__lt=now, owner__isnull=False)),
            escalated=Count("id", filter=uncontacted & Q(escalation_level__gt=0)),
        )
        .order_by()
    )
    for row in leads:
        team = figures[row.pop("team_id")]
        team.update(row)
    touches = (
        ActivityRollup.objects.visible_to(user)
        .filter(day=today, effective__gt=0)
        .values("owner__team_id")
        .annotate(n=Sum("effective"))
        .order_by()
    )
    for row in touches:
        figures[row["owner__team_id"]]["touches"] = row["n"]
    contracts = (
        Contract.objects.visible_to(user)
        .filter(signed_on__gte=month_start, signed_on__lte=today)
        .values("owner__team_id")
        .annotate(n=Count("id"), amount=Sum("amount"))
        .order_by()
    )
    for row in contracts:
        figures[row["owner__team_id"]]["signed"] = row["n"]
        figures[row["owner__team_id"]]["signed_amount"] = row["amount"] or Decimal(0)
    payments = (
        Payment.objects.visible_to(user)
        .filter(received_on__gte=month_start, received_on__lte=today)
        .values("account__owner__team_id")
        .annotate(amount=Sum("amount"))
        .order_by()
    )
    for row in payments:
        figures[row["account__owner__team_id"]]["paid"] = row["amount"] or Decimal(0)
    return figures


def by_team(user) -> dict:
    """One row per team (its subtree's figures, indented by depth), plus what belongs to
    no team."""
    figures = _by_team(user)
    teams = list(Team.objects.order_by("path").only("id", "name", "path", "parent_id"))
    paths = {t.pk: t.path for t in teams}
    rows = []
    for team in teams:
        total = dict.fromkeys(FIGURES, 0)
        total["signed_amount"] = Decimal(0)
        for team_id, values in figures.items():
            if team_id is not None and paths.get(team_id, "").startswith(team.path):
                for key, value in values.items():
                    total[key] = total.get(key, 0) + value
        rows.append({"team": team, "depth": team.depth, **total})
    loose = figures.get(None)
    return {
        "rows": rows,
        "no_team": loose,
        "month": clock.today().replace(day=1),
    }
