"""A manager's team board: one row per rep of the manager's subtree (leads today against
the daily cap, open leads, overdue first responses, escalations, effective touches today)
and the team's leads to act on — the unassigned pool, or the escalated / breached ones —
each with a reassign action.

The rep rows cost a fixed number of queries whatever the team's size: the reps, today's
lead counts, one GROUP BY over the open leads and one over today's touches."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Count, Q

from salesops.activities import selectors as activity_selectors
from salesops.core import clock
from salesops.leads.models import OPEN_STATUSES, DailyLeadCount, Lead
from salesops.leads.placement import daily_cap
from salesops.org import selectors as org_selectors
from salesops.org.models import Role

from .common import decorate

FILTERS = ("pool", "escalated", "breached")
PAGE_SIZE = 20


def team_reps(manager):
    """The active reps whose leads the manager sees (their subtree), by name."""
    return (
        org_selectors.visible_users(manager)
        .filter(role=Role.REP)
        .select_related("team")
        .order_by("display_name", "username")
    )


def rep_rows(manager) -> list[dict]:
    """One row per rep: today's leads against the cap, open leads, overdue first
    responses, escalations, effective touches today."""
    reps = list(team_reps(manager))
    ids = [r.pk for r in reps]
    day = clock.today()
    now = clock.now()
    counts = dict(
        DailyLeadCount.objects.filter(user_id__in=ids, day=day).values_list("user_id", "count")
    )
    uncontacted = Q(first_contact_at__isnull=True)
    loads = {
        row["owner_id"]: row
        for row in Lead.objects.filter(owner_id__in=ids, status__in=OPEN_STATUSES)
        .values("owner_id")
        .annotate(
            open=Count("id"),
            overdue=Count("id", filter=uncontacted & Q(sla_due_at__lt=now)),
            escalated=Count("id", filter=uncontacted & Q(escalation_level__gt=0)),
        )
        .order_by()
    }
    touches = activity_selectors.effective_touch_counts(day, user=manager)
    rows = []
    for rep in reps:
        load = loads.get(rep.pk, {})
        cap = daily_cap(rep)
        today_n = counts.get(rep.pk, 0)
        rows.append(
            {
                "rep": rep,
                "today": today_n,
                "cap": cap,
                "full": today_n >= cap,
                "open": load.get("open", 0),
                "overdue": load.get("overdue", 0),
                "escalated": load.get("escalated", 0),
                "touches": touches.get(rep.pk, 0),
            }
        )
    return rows


def board_leads(manager, show: str):
    """The leads the board lists: the manager's pool, or their team's escalated or
    breached (first contact overdue) open leads."""
    leads = Lead.objects.visible_to(manager).filter(status__in=OPEN_STATUSES)
    if show == "escalated":
        leads = leads.filter(escalation_level__gt=0, first_contact_at__isnull=True)
    elif show == "breached":
        leads = leads.filter(
            owner__isnull=False, first_contact_at__isnull=True, sla_due_at__lt=clock.now()
        )
    else:
        leads = leads.filter(owner__isnull=True)
    return leads.select_related("owner", "channel", "team").order_by("created_at", "id")


def team_board(manager, params) -> dict:
    show = params.get("show") if params.get("show") in FILTERS else "pool"
    rows = rep_rows(manager)
    page = Paginator(board_leads(manager, show), PAGE_SIZE).get_page(params.get("page"))
    page.object_list = decorate(page.object_list)
    return {
        "rows": rows,
        "totals": {
            key: sum(r[key] for r in rows)
            for key in ("today", "open", "overdue", "escalated", "touches")
        },
        "show": show,
        "filters": FILTERS,
        "page": page,
        "reps": [r["rep"] for r in rows],
        "full_ids": {r["rep"].pk for r in rows if r["full"]},
    }
