"""Which bonus plan pays whom (SPEC I1): the active plan of the person's role whose team is
the deepest ancestor-or-self of the person's team; a team-less plan is the organisation
default. A plan pays with the highest-numbered version effective on the day asked about.

The same rule as KPI schemes (``kpi.runs.scheme_for``), so a team subtree's plan beats
the organisation's for everyone below it.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, QuerySet

from salesops.org.models import Role

from .models import BonusPlan, PlanComponent, PlanVersion

PAID_ROLES = (Role.REP, Role.MANAGER)


def _plans_by_role() -> dict[str, list[tuple[str, BonusPlan]]]:
    """Active plans per role, deepest team first, the organisation default last."""
    result: dict[str, list[tuple[str, BonusPlan]]] = {}
    for plan in BonusPlan.objects.filter(is_active=True).select_related("team"):
        path = plan.team.path if plan.team_id else ""
        result.setdefault(plan.role, []).append((path, plan))
    for items in result.values():
        items.sort(key=lambda pair: (-len(pair[0]), pair[1].pk))
    return result


def _pick(candidates: list[tuple[str, BonusPlan]], team_path: str) -> BonusPlan | None:
    for path, plan in candidates:
        if not path or (team_path and team_path.startswith(path)):
            return plan
    return None


def plan_for(user, on: dt.date) -> BonusPlan | None:
    """The plan that pays ``user`` (``None`` when no active plan of their role covers
    their team)."""
    if user is None or not getattr(user, "role", None):
        return None
    team_path = user.team.path if user.team_id else ""
    return _pick(_plans_by_role().get(user.role, []), team_path)


def version_in_force(plan: BonusPlan, on: dt.date) -> PlanVersion | None:
    """The highest-numbered version of ``plan`` effective on or before ``on``."""
    if plan is None:
        return None
    return plan.versions.filter(effective_on__lte=on).order_by("-number").first()


def members(plan: BonusPlan, on: dt.date) -> QuerySet:
    """The active users ``plan_for`` gives ``plan``."""
    users = get_user_model().objects.filter(is_active=True, role=plan.role)
    if plan.team_id:
        users = users.filter(team__path__startswith=plan.team.path)
    candidates = _plans_by_role().get(plan.role, [])
    ids = [
        pk
        for pk, path in users.values_list("pk", "team__path")
        if _pick(candidates, path or "") == plan
    ]
    return get_user_model().objects.filter(pk__in=ids).order_by("pk")


def versions_for(on: dt.date, rep_ids=None) -> dict[int, PlanVersion]:
    """Every paid person (roles rep and manager, active; or ``rep_ids``) with the plan
    version in force on ``on``, components prefetched: a handful of queries whatever the
    number of people."""
    candidates = _plans_by_role()
    users = get_user_model().objects.filter(is_active=True, role__in=PAID_ROLES)
    if rep_ids is not None:
        users = users.filter(pk__in=list(rep_ids))
    plan_of: dict[int, BonusPlan] = {}
    for pk, role, path in users.values_list("pk", "role", "team__path"):
        plan = _pick(candidates.get(role, []), path or "")
        if plan is not None:
            plan_of[pk] = plan
    plan_ids = {plan.pk for plan in plan_of.values()}
    latest: dict[int, PlanVersion] = {}
    versions = (
        PlanVersion.objects.filter(plan_id__in=plan_ids, effective_on__lte=on)
        .select_related("plan")
        .prefetch_related(
            Prefetch("components", queryset=PlanComponent.objects.order_by("position", "pk"))
        )
        .order_by("plan_id", "-number")
    )
    for version in versions:
        latest.setdefault(version.plan_id, version)
    return {pk: latest[plan.pk] for pk, plan in plan_of.items() if plan.pk in latest}
