"""The pool digest: one message per team per interval about the leads that went to the
team's unassigned pool, instead of one message per lead.

A lead lands in the pool when no routing rule placed it: every rep of the matching rule
is at the daily cap or away (the lead keeps that rule's team, see ``routing.Decision``),
or no rule matched (the channel's team, else none). The intake writes no message for it;
the action ``lead_pool_digest`` of the default schedule rule ``lead-pool-digest``
(``defaults/rules.json``, every 30 minutes) counts the leads pooled since the rule last
fired that nobody has taken yet, per team, and tells each team's manager (the nearest
manager up the tree; the directors for leads without a team) how many wait, with a
link to the pool filtered by the team. How often is data: an admin edits the rule's
schedule (or switches it off) at /automation/.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from salesops.automation import actions
from salesops.automation.models import RuleFiring
from salesops.core import clock
from salesops.notifications import services as notification_services
from salesops.org.models import Team

from .models import OPEN_STATUSES, Lead
from .placement import pool_watchers

ACTION_KIND = "lead_pool_digest"
NOTIFICATION_KIND = "lead.pool_digest"
RULE_CODE = "lead-pool-digest"


def pool_link(team_id: int | None) -> str:
    params = {"owner": "none"}
    if team_id is not None:
        params["team"] = team_id
    return f"{reverse('leads:lead_list')}?{urlencode(params)}"


def pooled_counts(since: dt.datetime, until: dt.datetime) -> dict[int | None, int]:
    """Leads that entered the pool in ``(since, until]`` and still wait there, per team:
    one grouped query on the (owner, status, created_at) index."""
    rows = (
        Lead.objects.filter(owner__isnull=True, created_at__gt=since, created_at__lte=until)
        .order_by()
        .values("team_id")
        .annotate(n=Count("id"))
        .values_list("team_id", "n")
    )
    return {team_id: n for team_id, n in rows if n}


def waiting_counts(team_ids) -> dict[int | None, int]:
    """All open leads waiting in these teams' pools (whenever they arrived)."""
    teams = [t for t in team_ids if t is not None]
    condition = Q(team_id__in=teams)
    if None in team_ids:
        condition |= Q(team__isnull=True)
    rows = (
        Lead.objects.filter(condition, owner__isnull=True, status__in=OPEN_STATUSES)
        .order_by()
        .values("team_id")
        .annotate(n=Count("id"))
        .values_list("team_id", "n")
    )
    return dict(rows)


def digest_items(since: dt.datetime, until: dt.datetime, *, source: str = "") -> list[dict]:
    """One notification item per recipient and team for the leads pooled in the window."""
    counts = pooled_counts(since, until)
    if not counts:
        return []
    waiting = waiting_counts(list(counts))
    names = dict(Team.objects.filter(pk__in=[t for t in counts if t]).values_list("pk", "name"))
    items = []
    for team_id, n in sorted(counts.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)):
        team = names.get(team_id) if team_id else None
        if team:
            title = ngettext(
                "%(n)d new lead waits in the pool of %(team)s",
                "%(n)d new leads wait in the pool of %(team)s",
                n,
            ) % {"n": n, "team": team}
        else:
            title = ngettext(
                "%(n)d new lead without a team waits in the pool",
                "%(n)d new leads without a team wait in the pool",
                n,
            ) % {"n": n}
        body = _(
            "No rep could take them (daily caps full, or no rule matched). "
            "%(total)d open lead(s) wait in this pool in all."
        ) % {"total": max(waiting.get(team_id, 0), n)}
        for recipient in pool_watchers(team_id):
            items.append(
                {
                    "recipient_id": recipient,
                    "kind": NOTIFICATION_KIND,
                    "title": title,
                    "body": body,
                    "link": pool_link(team_id),
                    "source": source or f"pool-digest:{team_id or 0}",
                }
            )
    return items


# --- the automation action ----------------------------------------------------------------
def validate(config: dict, vctx, errors: dict) -> dict:
    if vctx.trigger_type != "schedule" or vctx.entity_key:
        errors["kind"] = _("The pool digest runs on a schedule rule without an entity.")
    return {"kind": ACTION_KIND}


def _window(ctx) -> tuple[dt.datetime, dt.datetime]:
    """From the rule's previous firing (else from when it started watching) to now."""
    until = ctx.firing.fired_at if ctx.firing is not None else clock.now()
    previous = (
        RuleFiring.objects.filter(rule=ctx.rule, fired_at__lt=until)
        .exclude(pk=getattr(ctx.firing, "pk", None))
        .order_by("-fired_at")
        .values_list("fired_at", flat=True)
        .first()
    )
    return previous or ctx.rule.watch_from, until


def run(config: dict, ctx) -> dict:
    since, until = _window(ctx)
    items = digest_items(since, until, source=ctx.source)
    result: dict = {
        "since": since.isoformat(),
        "recipients": sorted({i["recipient_id"] for i in items}),
        "messages": len(items),
    }
    if ctx.dry_run:
        result["would"] = "; ".join(f"{i['recipient_id']}: {i['title']}" for i in items) or _(
            "No new leads in any pool."
        )
        return result
    for item in items:
        ctx.batch.notifications.append((item, result))
    return result


def register() -> None:
    actions.register(
        ACTION_KIND,
        gettext_lazy("Digest of the leads waiting in each team's pool"),
        validate,
        run,
        writes=False,
    )
    notification_services.register_kind(
        NOTIFICATION_KIND, gettext_lazy("New leads in my team's pool (digest)")
    )
