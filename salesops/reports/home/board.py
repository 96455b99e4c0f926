"""A manager's team board: one row per rep of the manager's subtree (leads today against
the daily cap, open leads, overdue first responses, escalations, effective touches today)
and the team's leads to act on — the unassigned pool, or the escalated / breached ones —
each with a reassign action.

The rep rows cost a fixed number of queries whatever the team's size: the reps, today's
lead counts, one GROUP BY over the open leads and one over today's touches."""

from __future__ import annotations

from collections import Counter

from django.db.models import Count
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from salesops.activities import selectors as activity_selectors
from salesops.core import clock
from salesops.core.pagination import TwoStepPaginator
from salesops.leads import selectors as lead_selectors
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
    mine = Lead.objects.filter(owner_id__in=ids).order_by()
    loads: dict[int, dict] = {}
    open_by_owner = (
        mine.filter(status__in=OPEN_STATUSES)
        .values("owner_id")
        .annotate(n=Count("id"))
        .values_list("owner_id", "n")
    )
    for owner_id, n in open_by_owner:  # from the (owner, status, …) index alone
        loads.setdefault(owner_id, {})["open"] = n
    # The overdue and escalated leads are few: counted here from their own indexes
    # ((sla_state, sla_due_at, …), (escalation_level, …)); grouped in the database,
    # SQLite reads every open lead of the team through the owner index instead.
    overdue = Counter(mine.filter(lead_selectors.overdue_q(now)).values_list("owner_id", flat=True))
    # Escalations are few in the whole organisation: read them all from their index and
    # keep the team's here (with the owners in SQL, SQLite walks the team's open leads).
    team = set(ids)
    escalated = Counter(
        owner_id
        for owner_id in Lead.objects.filter(lead_selectors.escalated_q())
        .order_by()
        .values_list("owner_id", flat=True)
        if owner_id in team
    )
    for key, by_owner in (("overdue", overdue), ("escalated", escalated)):
        for owner_id, n in by_owner.items():
            loads.setdefault(owner_id, {})[key] = n
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
    if show == "escalated":
        leads = Lead.objects.visible_to(manager).filter(lead_selectors.escalated_q())
    elif show == "breached":
        leads = Lead.objects.owned_visible_to(manager).filter(lead_selectors.overdue_q(clock.now()))
    else:
        leads = Lead.objects.pool_visible_to(manager).filter(status__in=OPEN_STATUSES)
    return leads.select_related("owner", "channel", "team").order_by("created_at", "id")


def _owner_options(rows, leads) -> None:
    """Each listed lead's reassign choices (every rep of the team but its owner) as
    ready HTML: rendered once per rep, not once per rep and lead in the template (20
    leads × 50 reps were a thousand template loops, a third of the page's time)."""
    at_cap = _("at the daily cap")
    options = [
        (
            r["rep"].pk,
            format_html(
                '<option value="{}">{}{}</option>',
                r["rep"].pk,
                r["rep"].label,
                f" · {at_cap}" if r["full"] else "",
            ),
        )
        for r in rows
    ]
    for lead in leads:
        lead.owner_options = mark_safe("".join(html for pk, html in options if pk != lead.owner_id))


def team_board(manager, params) -> dict:
    show = params.get("show") if params.get("show") in FILTERS else "pool"
    rows = rep_rows(manager)
    # The page's ids first (from the index), then those 20 rows with their joins.
    page = TwoStepPaginator(board_leads(manager, show), PAGE_SIZE).get_page(params.get("page"))
    page.object_list = decorate(page.object_list)
    _owner_options(rows, page.object_list)
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
    }
