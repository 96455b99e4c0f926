"""The demo's history through its automation rules, once, after loading.

A timer rule watches from the instant it was switched on (``Rule.watch_from``); the demo's
leads, tasks and payments are older than the rules installed at migrate, so without this
step no reminder, breach or escalation would ever fire for them and every inbox would be
empty although reps have leads waiting hours for a first contact. Here each active timer
rule watches from the start of the demo's history and runs once, in the order the rules
were installed (the reminder before the breach before the escalation), so the inboxes
and the leads' SLA states are what the live engine would have produced."""

from __future__ import annotations

import datetime as dt

from salesops.automation import engine
from salesops.automation.models import Rule, RuleWatermark, TriggerType


def run_rules_over_history(*, since: dt.datetime, now: dt.datetime) -> int:
    """Run every active timer rule once over ``since``–``now``; returns the firings."""
    rules = list(
        Rule.objects.filter(is_active=True, trigger_type=TriggerType.TIMER)
        .select_related("current_version")
        .order_by("id")
    )
    if not rules:
        return 0
    Rule.objects.filter(pk__in=[r.pk for r in rules]).update(watch_from=since)
    RuleWatermark.objects.filter(rule__in=rules).delete()
    fired = 0
    for rule in rules:
        rule.watch_from = since
        fired += engine.run_timer_rule(rule, now)["fired"]
    return fired
