"""The demo's outcome board: a go-live date a few weeks after the start of the demo's
lead history, the days each demo user was seen (on most working days), and the weekly
snapshots from four weeks before go-live to the last complete week."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from salesops.core import calendar
from salesops.org.models import User
from salesops.outcomes import services as outcome_services
from salesops.outcomes.models import OutcomePolicy, SeenDay
from salesops.outcomes.windows import week_start

GO_LIVE_AFTER_DAYS = 14
WEEKS_BEFORE = 4


def build_outcomes(gen, now: dt.datetime, history_days: int) -> dict:
    rng = gen.rng
    today = timezone.localtime(now).date()
    go_live = today - dt.timedelta(days=history_days - GO_LIVE_AFTER_DAYS)
    OutcomePolicy.objects.update_or_create(pk=1, defaults={"go_live_on": go_live})
    users = list(User.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    seen = []
    day = today - dt.timedelta(days=history_days)
    while day < today:
        if calendar.is_workday(day):
            # Use grows after go-live, as the seeds report.
            share = 0.55 if day < go_live else 0.88
            seen.extend(SeenDay(user_id=pk, day=day) for pk in users if rng.random() < share)
        day += dt.timedelta(days=1)
    SeenDay.objects.bulk_create(seen, ignore_conflicts=True)
    last = outcome_services.last_complete_week(today)
    week = week_start(go_live) - dt.timedelta(weeks=WEEKS_BEFORE)
    weeks = 0
    while week <= last:
        outcome_services.snapshot_week(week)
        week += dt.timedelta(weeks=1)
        weeks += 1
    return {"seen days": len(seen), "outcome weeks": weeks}
