"""What the nudge rules (SPEC A5, A6) read besides a record's own fields.

* A rule about **people** (entity ``user``, registered here: a schedule that looks at
  every user each morning) reads ``low_activity_days_<P>``: how many working days in a
  row, up to yesterday, the person's effective touches were below P % of their team's
  average (P = 5, 10 … 95). The percentage is part of the variable's name, so both
  numbers of "under 60 % for 3 working days" sit in the rule's condition, where an
  admin edits them: ``low_activity_days_60 == 3``. Also ``effective_touches_yesterday``
  and ``team_touch_average_yesterday`` (the last working day's), for messages.
* A rule about an **activity** reads ``same_tag_streak``: how many of the owner's
  finished activities in a row, up to and including this one (by start time), carry
  this activity's result tag (``tag == 'price_sensitive' and same_tag_streak == 5``).

The team average of a working day is the mean of the effective touches of the team's
active reps (``role == rep``, the person's own team), zeros included, leaving out those on
leave that day. A day the person was on leave, or whose team average is zero, is not a
low day: it ends the streak. Weekends and holidays (the Chinese workday calendar with
the organisation's own days) are skipped, neither counting nor breaking it. Streaks are
counted back at most :data:`LOOKBACK_WORKDAYS` working days.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from salesops.activities.models import Activity
from salesops.activities.selectors import rollup_days
from salesops.core import calendar, clock, entities
from salesops.org.models import LeavePeriod, Role, User

LOOKBACK_WORKDAYS = 20
PERCENTS = tuple(range(5, 100, 5))
# An activity's streak is counted over at most this many of the owner's latest results.
STREAK_CAP = 50


def low_name(percent: int) -> str:
    return f"low_activity_days_{percent}"


# --- low activity -------------------------------------------------------------------------
def workdays_before(day: dt.date, count: int) -> list[dt.date]:
    """The ``count`` working days before ``day``, latest first."""
    cal = calendar.default_calendar()
    out: list[dt.date] = []
    current = day
    for _step in range(count * 4 + 30):
        current -= dt.timedelta(days=1)
        if cal.is_workday(current):
            out.append(current)
            if len(out) == count:
                break
    return out


@dataclasses.dataclass
class TouchRatios:
    """Per rep, their effective touches ÷ the team's average on each of ``days`` (latest
    first); ``None`` for a day that cannot be low (on leave, team average zero)."""

    days: list[dt.date]
    ratios: dict[int, list[Decimal | None]]
    touches: dict[int, list[int]]
    averages: dict[int, list[Decimal]]  # by team

    def streak(self, user_id: int, percent: int) -> int:
        threshold = Decimal(percent) / 100
        count = 0
        for ratio in self.ratios.get(user_id, ()):
            if ratio is None or ratio >= threshold:
                break
            count += 1
        return count


def touch_ratios(today: dt.date, lookback: int = LOOKBACK_WORKDAYS) -> TouchRatios:
    """Every active rep's ratios over the ``lookback`` working days before ``today``: one
    read of the reps, one of the leave periods and one grouped read of the rollup."""
    days = workdays_before(today, lookback)
    reps = list(
        User.objects.filter(is_active=True, role=Role.REP, team__isnull=False)
        .order_by()
        .values_list("pk", "team_id")
    )
    result = TouchRatios(days=days, ratios={}, touches={}, averages={})
    if not days or not reps:
        return result
    rep_ids = [pk for pk, _team in reps]
    away: set[tuple[int, dt.date]] = set()
    for user_id, starts, ends in LeavePeriod.objects.filter(
        user_id__in=rep_ids, starts_on__lte=days[0], ends_on__gte=days[-1]
    ).values_list("user_id", "starts_on", "ends_on"):
        for day in days:
            if starts <= day <= ends:
                away.add((user_id, day))
    counts = rollup_days(days[-1], days[0], rep_ids)
    teams: dict[int, list[int]] = {}
    for pk, team_id in reps:
        teams.setdefault(team_id, []).append(pk)
    for team_id, members in teams.items():
        averages = []
        for day in days:
            present = [pk for pk in members if (pk, day) not in away]
            total = sum(counts.get(pk, {}).get(day, (0, 0))[1] for pk in present)
            averages.append(Decimal(total) / len(present) if present else Decimal(0))
        result.averages[team_id] = averages
        for pk in members:
            touches = [counts.get(pk, {}).get(day, (0, 0))[1] for day in days]
            ratios: list[Decimal | None] = []
            for i, day in enumerate(days):
                if (pk, day) in away or not averages[i]:
                    ratios.append(None)
                else:
                    ratios.append(Decimal(touches[i]) / averages[i])
            result.ratios[pk] = ratios
            result.touches[pk] = touches
    return result


class PersonVariables:
    def _applies(self, entity) -> bool:
        return entity.model is User

    def names(self, entity) -> list[str]:
        if not self._applies(entity):
            return []
        return [
            *(low_name(p) for p in PERCENTS),
            "effective_touches_yesterday",
            "team_touch_average_yesterday",
        ]

    def describe(self, entity) -> list[dict]:
        if not self._applies(entity):
            return []
        out = [
            {
                "name": low_name(p),
                "label": str(
                    _("Working days in a row below %(percent)d%% of the team's average touches")
                    % {"percent": p}
                ),
                "kind": "number",
            }
            for p in PERCENTS
        ]
        out.append(
            {
                "name": "effective_touches_yesterday",
                "label": str(_("Effective touches on the last working day")),
                "kind": "number",
            }
        )
        out.append(
            {
                "name": "team_touch_average_yesterday",
                "label": str(_("Team's average effective touches on the last working day")),
                "kind": "number",
            }
        )
        return out

    def values(self, entity, instance) -> dict:
        if not self._applies(entity):
            return {}
        today = clock.today()
        # One computation for every person of a sweep (a schedule looks at all of them).
        ratios = entities.batch_memo(("knowledge_touch_ratios", today), lambda: touch_ratios(today))
        values = {low_name(p): ratios.streak(instance.pk, p) for p in PERCENTS}
        touches = ratios.touches.get(instance.pk)
        averages = ratios.averages.get(getattr(instance, "team_id", None))
        values["effective_touches_yesterday"] = touches[0] if touches else 0
        average = averages[0] if averages else Decimal(0)
        values["team_touch_average_yesterday"] = average.quantize(Decimal("0.1"))
        return values


# --- same tag streak ----------------------------------------------------------------------
def same_tag_streak(activity) -> int:
    """How many of the owner's finished activities in a row, up to and including this one
    (by start time, then id), carry this activity's result tag. One indexed read of at
    most :data:`STREAK_CAP` rows (index: owner, started_at)."""
    if activity.tag_id is None or activity.pk is None:
        return 0
    tags = (
        Activity.objects.filter(owner_id=activity.owner_id, tag__isnull=False)
        .filter(
            Q(started_at__lt=activity.started_at)
            | Q(started_at=activity.started_at, pk__lte=activity.pk)
        )
        .order_by("-started_at", "-pk")
        .values_list("tag_id", flat=True)[:STREAK_CAP]
    )
    count = 0
    for tag_id in tags:
        if tag_id != activity.tag_id:
            break
        count += 1
    return count


class ActivityVariables:
    def _applies(self, entity) -> bool:
        return entity.model is Activity

    def names(self, entity) -> list[str]:
        return ["same_tag_streak"] if self._applies(entity) else []

    def describe(self, entity) -> list[dict]:
        if not self._applies(entity):
            return []
        return [
            {
                "name": "same_tag_streak",
                "label": str(_("The owner's results in a row with this result")),
                "kind": "number",
            }
        ]

    def values(self, entity, instance) -> dict:
        if not self._applies(entity):
            return {}
        return {"same_tag_streak": same_tag_streak(instance)}


person_provider = PersonVariables()
activity_provider = ActivityVariables()
