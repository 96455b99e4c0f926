"""The demo's diagnosis (issue 21): the organisation and each region diagnosed a week ago
and now, so /diagnosis/ shows its tiles and the previous diagnosis beside them on the
first ``make run``. The week-old run is computed with the clock a week back over today's
data (the records created since are in it too), the way a run that day would have read
most of them."""

from __future__ import annotations

import datetime as dt

from salesops.diagnosis import services as diagnosis
from salesops.diagnosis.models import RunTrigger
from salesops.diagnosis.scope import org_scope, team_scope
from salesops.org.models import Team, TeamKind


def build_diagnosis(now: dt.datetime) -> dict:
    scopes = [org_scope()] + [
        team_scope(team) for team in Team.objects.filter(kind=TeamKind.REGION).order_by("path")
    ]
    runs = 0
    for as_of in (now - dt.timedelta(days=7), now):
        for scope in scopes:
            run = diagnosis.run_create(scope=scope, trigger=RunTrigger.DEMO)
            run.as_of = as_of
            run.save(update_fields=["as_of"])
            diagnosis.run_execute(run)
            runs += 1
    return {"diagnosis runs": runs}
