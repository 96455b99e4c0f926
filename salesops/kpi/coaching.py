"""The capability gap alert (SPEC K8): a rep whose radar value on the gap dimension
(:attr:`GrowthPolicy.gap_dimension`, "customer depth" by default) stayed below
``gap_ratio`` % of the team average for ``gap_quarters`` consecutive quarters gets a
coaching plan, shared by their manager and customer success — never a demotion: nothing
here touches the user's role, team or targets.

The quarters are read from stored :class:`RadarScore` rows (the quarterly radar run
stores them with the team average); a quarter without a row breaks the run. Each plan
(one per user, dimension and quarter, so a rerun changes nothing) comes with two todo
tasks: one for the user's manager, one for the customer-success user most often assigned
to the user's accounts (``Account.success_owner``; none → only the manager's task).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Q
from django.utils.translation import gettext as _

from salesops.core import clock
from salesops.customers.models import Account
from salesops.org import selectors as org_selectors
from salesops.todos import services as todo_services

from . import permissions
from .models import CoachingPlan, GrowthPolicy, RadarScore
from .periods import add_months

SOURCE = "kpi.coaching"
DUE_DAYS = 30


def quarters(start: dt.date, count: int) -> list[tuple[dt.date, dt.date]]:
    """The ``count`` quarters ending with the one starting on ``start``, oldest first."""
    out = []
    for back in range(count - 1, -1, -1):
        first = add_months(start, -3 * back)
        out.append((first, add_months(first, 3) - dt.timedelta(days=1)))
    return out


def _team_averages(dimension: str, period_start: dt.date) -> dict:
    """Team id → the average value of the quarter (for rows stored without one)."""
    rows = (
        RadarScore.objects.filter(dimension=dimension, period_start=period_start)
        .values("team_id")
        .annotate(avg=Avg("value"))
    )
    return {row["team_id"]: row["avg"] for row in rows}


def below(value: Decimal, average, ratio: int) -> bool:
    if average is None or Decimal(average) <= 0:
        return False
    return Decimal(value) * 100 < Decimal(average) * ratio


def success_owner_of(user):
    """The customer-success user most often assigned to ``user``'s accounts (ties: the
    lowest id), active; None when none is."""
    row = (
        Account.objects.filter(
            owner=user, success_owner__isnull=False, success_owner__is_active=True
        )
        .values("success_owner")
        .annotate(n=Count("pk"))
        .order_by("-n", "success_owner")
        .first()
    )
    if row is None:
        return None
    return get_user_model().objects.get(pk=row["success_owner"])


def _describe(user, dimension: str, values: list[dict], ratio: int) -> str:
    lines = [
        _(
            "%(user)s's “%(dimension)s” score stayed below %(ratio)d%% of the team average "
            "for %(n)d consecutive quarters:"
        )
        % {"user": user.label, "dimension": dimension, "ratio": ratio, "n": len(values)}
    ]
    for row in values:
        lines.append(
            _("%(quarter)s: %(value)s vs team average %(average)s")
            % {
                "quarter": row["period_start"][:7],
                "value": row["value"],
                "average": row["team_average"],
            }
        )
    lines.append(
        _(
            "Agree a coaching plan together (manager and customer success); this is not a "
            "demotion and changes no role, team or target."
        )
    )
    return "\n".join(lines)


def _tasks(plan: CoachingPlan, user, values: list[dict], ratio: int) -> list:
    title = _("Coaching plan for %(user)s: %(dimension)s") % {
        "user": user.label,
        "dimension": plan.dimension,
    }
    description = _describe(user, plan.dimension, values, ratio)
    due = clock.now() + dt.timedelta(days=DUE_DAYS)
    assignees = []
    manager = org_selectors.manager_of(user)
    if manager is not None and manager.is_active:
        assignees.append(manager)
    success = success_owner_of(user)
    if success is not None and success.pk not in {a.pk for a in assignees}:
        assignees.append(success)
    return [
        todo_services.task_create(
            title=title[:200],
            description=description,
            assignee=assignee,
            due_at=due,
            record=plan,
            actor=None,
            source=f"{SOURCE}:{plan.pk}",
        )
        for assignee in assignees
    ]


def evaluate(start: dt.date, end: dt.date) -> list[CoachingPlan]:
    """The coaching plans raised for the quarter [start, end] (new ones only)."""
    policy = GrowthPolicy.current()
    dimension, ratio = policy.gap_dimension, policy.gap_ratio
    periods = quarters(start, max(policy.gap_quarters, 1))
    scores: dict[dt.date, dict[int, RadarScore]] = {}
    averages: dict[dt.date, dict] = {}
    for first, _last in periods:
        rows = RadarScore.objects.filter(dimension=dimension, period_start=first)
        scores[first] = {row.user_id: row for row in rows.select_related("user")}
        averages[first] = _team_averages(dimension, first)
    done = set(
        CoachingPlan.objects.filter(dimension=dimension, period_start=start).values_list(
            "user_id", flat=True
        )
    )
    created = []
    for user_id, current in sorted(scores[start].items()):
        if user_id in done or not current.user.is_active:
            continue
        values = []
        for first, last in periods:
            row = scores[first].get(user_id)
            if row is None:
                break
            average = row.team_average
            if average is None:
                average = averages[first].get(row.team_id)
            if not below(row.value, average, ratio):
                break
            values.append(
                {
                    "period_start": first.isoformat(),
                    "period_end": last.isoformat(),
                    "value": str(row.value),
                    "team_average": str(Decimal(average).quantize(Decimal("0.01"))),
                }
            )
        if len(values) != len(periods):
            continue
        plan = _raise(current.user, dimension, start, values, ratio)
        if plan is not None:
            created.append(plan)
    return created


def _raise(user, dimension, start, values, ratio) -> CoachingPlan | None:
    try:
        with transaction.atomic():
            plan = CoachingPlan.objects.create(
                user=user, dimension=dimension, period_start=start, values=values
            )
            tasks = _tasks(plan, user, values, ratio)
            if tasks:
                plan.task = tasks[0]
                plan.save(update_fields=["task"])
    except IntegrityError:  # raised meanwhile by another run
        return None
    return plan


# --- reading -----------------------------------------------------------------------------------


def may_see_plans(user) -> bool:
    return (
        permissions.is_reviewer(user)
        or permissions.can_configure(user)
        or bool(getattr(user, "is_customer_success_role", False))
    )


def visible_plans(user, query: str = ""):
    """Managers: their team's; configurers and those who see everything: all; customer
    success: the plans of reps whose accounts they serve."""
    queryset = CoachingPlan.objects.select_related("user", "task", "task__assignee")
    if not may_see_plans(user):
        return queryset.none()
    if getattr(user, "is_customer_success_role", False) and not user.sees_everything:
        reps = Account.objects.filter(success_owner=user).values("owner_id")
        queryset = queryset.filter(Q(user_id__in=reps))
    else:
        ids = permissions.visible_user_ids(user)
        if ids is not None:
            queryset = queryset.filter(user_id__in=ids)
    if query:
        queryset = queryset.filter(
            Q(user__display_name__icontains=query)
            | Q(user__username__icontains=query)
            | Q(dimension__icontains=query)
        )
    return queryset.order_by("-period_start", "user_id")
