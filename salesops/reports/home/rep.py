"""A rep's today: leads awaiting first contact (overdue first, with the SLA countdown),
escalations on their leads, tasks due, check-ins to finish, and today's effective
touches against their recent average."""

from __future__ import annotations

import datetime as dt

from salesops.activities import selectors as activity_selectors
from salesops.core import clock
from salesops.leads.models import OPEN_STATUSES, Lead
from salesops.todos import selectors as todo_selectors

from .common import decorate

SHOWN = 10  # rows per section; the section links to the full filtered list
AVERAGE_DAYS = 7  # "recent average" of effective touches: the days before today


def awaiting_first_contact(user):
    """The rep's open leads not contacted yet, the earliest due first (overdue on top)."""
    return (
        Lead.objects.visible_to(user)
        .filter(owner=user, status__in=OPEN_STATUSES, first_contact_at__isnull=True)
        .select_related("channel")
        .order_by("sla_due_at", "assigned_at", "id")
    )


def escalated(user):
    """The rep's open leads escalated to a manager and still not contacted."""
    return awaiting_first_contact(user).filter(escalation_level__gt=0)


def touches(user) -> dict:
    """Today's effective touches and the daily average over the previous days."""
    today = clock.today()
    today_n = activity_selectors.effective_touch_counts(today, user=user).get(user.pk, 0)
    recent = sum(
        activity_selectors.effective_touch_counts(
            today - dt.timedelta(days=AVERAGE_DAYS),
            until=today - dt.timedelta(days=1),
            user=user,
        ).values()
    )
    average = round(recent / AVERAGE_DAYS, 1)
    return {"today": today_n, "average": average, "days": AVERAGE_DAYS, "ahead": today_n >= average}


def today(user) -> dict:
    now = clock.now()
    waiting = awaiting_first_contact(user)
    leads = decorate(waiting[:SHOWN], now)
    overdue_n = waiting.filter(sla_due_at__lt=now).count()
    tasks = todo_selectors.task_list(user=user, status="open").filter(
        due_at__lt=todo_selectors.end_of_today()
    )
    checkins = activity_selectors.unfinished_checkins(user)
    return {
        "waiting": leads,
        "waiting_count": waiting.count(),
        "overdue_count": overdue_n,
        "escalations": decorate(escalated(user)[:SHOWN], now),
        "escalation_count": escalated(user).count(),
        "tasks": list(tasks[:SHOWN]),
        "task_count": tasks.count(),
        "checkins": list(checkins[:SHOWN]),
        "checkin_count": checkins.count(),
        "touches": touches(user),
        "now_instant": now,
    }
