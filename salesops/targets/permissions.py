"""Who sees and does what with targets (one place; pages, API and exports ask here).

- **Configure** (create a plan, calibrate, edit scenarios, close the vote, decompose,
  publish, Settings · Targets): sales-ops admins and directors.
- **Decide** (confirm the baseline scenario, approve or reject an adjustment): directors
  (and superusers).
- **Adjust** (a rep's share before publishing; request an adjustment after): the manager
  of the rep (anyone whose visible owners include the rep) and configurers.
- **See a plan**: everyone whose team lies in the plan's team subtree or above it, and the
  roles that see everything (director, admin, finance). Customer success has no targets.
- **See a rep's target**: the rep, whoever sees the rep's records (their managers, the
  roles that see everything) and — only when :attr:`TargetPolicy.peers_see_targets` is
  on — the rep's peers in the plan. Everyone who sees a plan sees its total and their
  team's total.
- **Vote**: the plan's members (active reps and managers in the team subtree) and the
  directors; one vote each.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q

from salesops.core import visibility
from salesops.org.models import Role

from .models import Allocation, TargetPlan, TargetPolicy

VOTING_ROLES = (Role.REP, Role.MANAGER)


def can_configure(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_admin_role or user.edits_everything))


def can_decide(user) -> bool:
    return bool(
        user and user.is_authenticated and (user.is_superuser or user.role == Role.DIRECTOR)
    )


def has_targets(user) -> bool:
    """Whether the Targets section exists for ``user`` at all."""
    return bool(
        user and user.is_authenticated and user.is_active and not user.is_customer_success_role
    )


def visible_plans(user):
    """The plans ``user`` may open."""
    if not has_targets(user):
        return TargetPlan.objects.none()
    plans = TargetPlan.objects.select_related("team")
    if user.sees_everything:
        return plans
    team = user.team
    if team is None:
        return plans.none()
    # The plan's team is the user's team, one above it (a prefix of the user's path), or
    # one below it (the user's team path is a prefix of the plan's).
    above = [int(part) for part in team.path.strip("/").split("/") if part]
    return plans.filter(Q(team_id__in=above) | Q(team__path__startswith=team.path))


def members(plan: TargetPlan):
    """The active reps a plan is split to: role rep, team in the plan's subtree."""
    return get_user_model().objects.filter(
        is_active=True, role=Role.REP, team__path__startswith=plan.team.path
    )


def voters(plan: TargetPlan):
    """Who may vote on the plan's scenarios: its reps and managers, and the directors."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(role__in=VOTING_ROLES, team__path__startswith=plan.team.path) | Q(role=Role.DIRECTOR)
        )
    )


def can_vote(user, plan: TargetPlan) -> bool:
    return voters(plan).filter(pk=user.pk).exists()


def visible_allocations(user, plan: TargetPlan, version: int | None = None):
    """The rep targets of ``plan`` (its version in force unless ``version``) that ``user``
    may see, by the rules above."""
    rows = Allocation.objects.filter(plan=plan, version=version or plan.version)
    if not visible_plans(user).filter(pk=plan.pk).exists():
        return rows.none()
    ids = visibility.visible_owner_ids(user)
    if ids is None:
        return rows
    if TargetPolicy.current().peers_see_targets and members(plan).filter(pk=user.pk).exists():
        return rows
    return rows.filter(rep_id__in=ids)


def can_adjust_rep(user, rep) -> bool:
    """Whether ``user`` may change ``rep``'s share (before publishing) or ask for an
    adjustment of it (after)."""
    if can_configure(user):
        return True
    if not (user and user.is_authenticated and user.is_manager_role):
        return False
    return rep.pk in visibility.editable_owner_ids(user) and rep.pk != user.pk
