"""The morning heatmap message (SPEC A4): before the morning meeting, every manager gets a
link to their team's heatmap of the previous working day and a one-line summary (the
team's effective touches, the reps with none).

It is the action ``team_heatmap_digest`` of the default schedule rule
``team-heatmap-morning`` (:mod:`.defaults`: daily at 08:15, condition ``is_workday``, so
nothing is sent on weekends and holidays; a make-up Saturday is a workday and sends).
An admin edits its time, condition or switches it off on the rules page like any rule.
The day reported is the previous working day of the instant the rule fires for, so a
Monday message covers Friday and the first day after a holiday covers the last workday
before it.
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesops.automation import actions
from salesops.core import clock
from salesops.notifications import services as notification_services

from . import heatmap

ACTION_KIND = "team_heatmap_digest"
NOTIFICATION_KIND = "reports.heatmap"
RULE_CODE = "team-heatmap-morning"
# How many idle reps the one-line summary names before "and N more".
NAMED_IDLE = 5


def heatmap_link(team_id: int, day) -> str:
    return f"{reverse('reports:heatmap')}?{urlencode({'team': team_id, 'day': day.isoformat()})}"


def _summary(effective: int, idle: list) -> str:
    if not idle:
        return _("%(n)d effective touches; every rep had at least one.") % {"n": effective}
    names = ", ".join(rep.label for rep in idle[:NAMED_IDLE])
    if len(idle) > NAMED_IDLE:
        names += " " + _("and %(n)d more") % {"n": len(idle) - NAMED_IDLE}
    return _("%(n)d effective touches; reps with none: %(names)s.") % {
        "n": effective,
        "names": names,
    }


def digest_items(day, *, source: str = "") -> list[dict]:
    """One notification per manager and managed subtree for the heatmap of ``day``."""
    items = []
    pairs = heatmap.manager_teams()
    summaries = heatmap.team_day_summaries([team for _manager, team in pairs], day)
    for manager, team in pairs:
        effective, idle = summaries[team.pk]
        with translation.override(manager.language or None):
            title = _("Heatmap of %(team)s for %(day)s") % {
                "team": team.name,
                "day": day.isoformat(),
            }
            body = _summary(effective, idle)
        items.append(
            {
                "recipient_id": manager.pk,
                "kind": NOTIFICATION_KIND,
                "title": title,
                "body": body,
                "link": heatmap_link(team.pk, day),
                "source": source or f"heatmap:{team.pk}",
            }
        )
    return items


# --- the automation action ----------------------------------------------------------------
def validate(config: dict, vctx, errors: dict) -> dict:
    if vctx.trigger_type != "schedule" or vctx.entity_key:
        errors["kind"] = _("The heatmap message runs on a schedule rule without an entity.")
    return {"kind": ACTION_KIND}


def _instant_day(ctx) -> dt.date:
    """The local day of the schedule's instant (a late firing, after a worker was down,
    still reports the day before that instant), else of the firing."""
    values = ctx.variables or {}
    if all(isinstance(values.get(k), int) for k in ("year", "month", "day")):
        return dt.date(values["year"], values["month"], values["day"])
    instant = ctx.firing.fired_at if ctx.firing is not None else clock.now()
    return timezone.localtime(instant).date()


def run(config: dict, ctx) -> dict:
    day = heatmap.previous_workday(_instant_day(ctx))
    items = digest_items(day, source=ctx.source)
    result: dict = {
        "day": day.isoformat(),
        "recipients": sorted({i["recipient_id"] for i in items}),
        "messages": len(items),
    }
    if ctx.dry_run:
        result["would"] = "; ".join(f"{i['recipient_id']}: {i['title']}" for i in items) or _(
            "No team has a manager."
        )
        return result
    for item in items:
        ctx.batch.notifications.append((item, result))
    return result


def register() -> None:
    actions.register(
        ACTION_KIND,
        gettext_lazy("Send each manager their team's heatmap of the previous working day"),
        validate,
        run,
        writes=False,
    )
    notification_services.register_kind(
        NOTIFICATION_KIND, gettext_lazy("My team's morning heatmap")
    )
