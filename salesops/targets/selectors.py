"""Reads of target plans for pages, API and exports — always through
:mod:`.permissions` (a plan someone may not see is a 404)."""

from __future__ import annotations

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404

from .models import Adjustment, Scenario, TargetPlan, Vote
from .permissions import (
    can_configure,
    can_decide,
    can_vote,
    has_targets,
    visible_allocations,
    visible_plans,
)


def plans(user, query: str = ""):
    rows = visible_plans(user).select_related("team", "baseline")
    query = (query or "").strip()
    if query:
        match = Q(name__icontains=query) | Q(team__name__icontains=query)
        if query.isdigit():
            match |= Q(fiscal_year=int(query))
        rows = rows.filter(match)
    return rows.order_by("-fiscal_year", "-id")


def plan_or_404(user, pk) -> TargetPlan:
    return get_object_or_404(plans(user), pk=pk)


def scenarios(plan: TargetPlan) -> list[Scenario]:
    return list(plan.scenarios.order_by("position", "id"))


def sees_vote_results(user, plan: TargetPlan) -> bool:
    """Managers, configurers and directors see the counts at any time; everyone else who
    sees the plan once the vote has closed."""
    if can_configure(user) or can_decide(user) or user.is_manager_role:
        return True
    return has_targets(user) and not plan.vote_open


def vote_counts(plan: TargetPlan) -> dict[int, int]:
    """Votes per scenario id (every scenario present)."""
    counts = dict.fromkeys(plan.scenarios.values_list("pk", flat=True), 0)
    for scenario_id, n in (
        Vote.objects.filter(plan=plan)
        .values("scenario_id")
        .annotate(n=Count("id"))
        .values_list("scenario_id", "n")
    ):
        counts[scenario_id] = n
    return counts


def my_vote(user, plan: TargetPlan) -> Vote | None:
    return Vote.objects.filter(plan=plan, voter=user).select_related("scenario").first()


def vote_summary(user, plan: TargetPlan) -> dict:
    """What ``user`` may know of the vote: their own choice, whether they may vote, and the
    counts (``None`` when hidden from them)."""
    mine = my_vote(user, plan)
    return {
        "open": plan.vote_open,
        "can_vote": can_vote(user, plan) and plan.vote_open and not plan.is_locked,
        "my_scenario_id": mine.scenario_id if mine else None,
        "counts": vote_counts(plan) if sees_vote_results(user, plan) else None,
    }


def adjustments(user, plan: TargetPlan):
    """A plan's adjustments: everyone who may see the plan sees that there were some;
    the amounts per rep are filtered by the pages through ``visible_allocations``."""
    return Adjustment.objects.filter(plan=plan).select_related("created_by", "decided_by")


def visible_changes(user, adjustment: Adjustment) -> dict[str, str]:
    """The part of an adjustment's changes ``user`` may see (the reps whose targets they
    see, by :func:`.permissions.visible_allocations`)."""
    plan = adjustment.plan
    seen = set(
        visible_allocations(user, plan, adjustment.from_version).values_list("rep_id", flat=True)
    )
    return {k: v for k, v in adjustment.changes.items() if int(k) in seen}
