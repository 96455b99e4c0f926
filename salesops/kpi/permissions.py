"""Who sees and does what with KPI (one place; pages, API and exports ask here).

- **Configure** (metrics, schemes, radar dimensions, Settings · KPI, run a period): sales-ops
  admins and directors.
- **See a rep's scores and the records behind them**: the rep, their managers and the roles
  that see everything (core.visibility's owner rule — the same as every record).
- **Rankings**: the ranks are always shown to the ranked rep; names of others follow
  :attr:`KpiPolicy.ranking_visibility` for reps; managers see their team's names, the roles
  that see everything the organisation's.
- **Review** (compliance findings, points claims, credibility black list): managers (their
  team's) and the roles that see everything; approving points and confirming findings:
  managers of the rep and configurers.
- Customer success and finance have no scores of their own.
"""

from __future__ import annotations

from salesops.core import visibility
from salesops.org.models import Role

from .models import KpiPolicy, RankingVisibility

SCORED_ROLES = (Role.REP, Role.MANAGER)


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def can_configure(user) -> bool:
    return _active(user) and (user.is_admin_role or user.edits_everything)


def has_kpi(user) -> bool:
    """Whether the KPI section exists for ``user`` at all."""
    return _active(user)


def is_scored(user) -> bool:
    """Whether ``user`` has a score page of their own."""
    return _active(user) and user.role in SCORED_ROLES


def visible_user_ids(user):
    """Ids of the users whose scores ``user`` may see; ``None`` means everyone."""
    return visibility.visible_owner_ids(user)


def can_see_user(user, other_id: int) -> bool:
    ids = visible_user_ids(user)
    if ids is None:
        return _active(user)
    return other_id in set(ids)


def is_reviewer(user) -> bool:
    return _active(user) and (user.is_manager_role or user.sees_everything)


def can_decide_for(user, other_id: int) -> bool:
    """Approve a points claim or confirm a finding about ``other_id``."""
    if not _active(user) or user.is_read_only_role or user.pk == other_id:
        return False
    if user.edits_everything:
        return True
    return user.is_manager_role and can_see_user(user, other_id)


def sees_black_list(user) -> bool:
    return is_reviewer(user)


def ranking_names(user, *, scope: str) -> bool:
    """Whether ``user`` sees other people's names in the ``scope`` ("team" or "org")
    ranking (a rep always sees their own rank)."""
    if not _active(user):
        return False
    if user.sees_everything:
        return True
    if user.is_manager_role:
        return scope == "team"
    mode = KpiPolicy.current().ranking_visibility
    if mode == RankingVisibility.ORG:
        return True
    return mode == RankingVisibility.TEAM and scope == "team"
