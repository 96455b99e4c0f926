"""Reads about the organisation: subtrees, manager chains, eligible users."""

from __future__ import annotations

from django.db.models import Q

from salesops.core import clock, visibility

from .models import LeavePeriod, Role, Team, User, UserChange


def team_subtree(team: Team):
    """The team and every team below it."""
    return Team.objects.filter(path__startswith=team.path)


def subordinate_ids(user: User) -> list[int]:
    """Ids of the users whose records a manager sees: themselves and everyone below them,
    following both links of the hierarchy to a fixed point — members of team subtrees
    managed by anyone found, and direct reports of anyone found. Cached on the user
    object for the length of a request."""
    cached = getattr(user, "_subordinate_ids", None)
    if cached is not None:
        return cached
    ids = {user.pk}
    frontier = {user.pk}
    while frontier:
        paths = list(Team.objects.filter(manager_id__in=frontier).values_list("path", flat=True))
        condition = Q(manager_id__in=frontier)
        for path in paths:
            condition |= Q(team__path__startswith=path)
        frontier = set(User.objects.filter(condition).values_list("pk", flat=True)) - ids
        ids |= frontier
    result = sorted(ids)
    user._subordinate_ids = result
    return result


def manager_of(user: User) -> User | None:
    """The direct manager: explicit ``user.manager``, else the nearest team manager above
    the user (their own team's, unless they manage it themselves, then the parent's)."""
    if user.manager_id:
        return user.manager
    team = user.team
    while team is not None:
        if team.manager_id and team.manager_id != user.pk:
            return team.manager
        team = team.parent
    return None


def manager_chain(user: User, *, limit: int = 20) -> list[User]:
    """The managers above ``user`` from the nearest up: ``[manager, manager's manager, …]``.
    Stops at the top or at a cycle (a misconfigured hierarchy must not loop forever)."""
    chain: list[User] = []
    seen = {user.pk}
    current = user
    while len(chain) < limit:
        boss = manager_of(current)
        if boss is None or boss.pk in seen:
            break
        chain.append(boss)
        seen.add(boss.pk)
        current = boss
    return chain


def users_on_leave(day=None) -> set[int]:
    day = day or clock.today()
    return set(
        LeavePeriod.objects.filter(starts_on__lte=day, ends_on__gte=day).values_list(
            "user_id", flat=True
        )
    )


def visible_users(user: User):
    """Users that ``user`` may pick as owners or see in filters (the rule is core's)."""
    return visibility.visible_users(user)


def sales_users():
    return User.objects.filter(
        is_active=True, role__in=[Role.REP, Role.MANAGER, Role.CUSTOMER_SUCCESS]
    )


def user_changes(viewer: User):
    """The role/team/manager/cap/active changes ``viewer`` may read: everyone's for those
    who administer or direct the organisation, their subordinates' for a manager, their
    own for everyone else."""
    qs = UserChange.objects.select_related("user", "changed_by")
    if viewer.is_admin_role or viewer.edits_everything:
        return qs
    if viewer.is_manager_role:
        return qs.filter(user_id__in=subordinate_ids(viewer))
    return qs.filter(user_id=viewer.pk)


def may_read_user_changes(viewer: User) -> bool:
    """Whether the organisation-wide change log belongs in the viewer's menu."""
    return viewer.is_admin_role or viewer.edits_everything or viewer.is_manager_role
