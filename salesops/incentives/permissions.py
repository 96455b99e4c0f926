"""Who sees and does what with incentives (one place; pages, API and exports ask here).

- **Configure** (bonus plans, Settings · Incentives, mentor pairs, run a month): sales-ops
  admins and directors.
- **Statements**: a rep sees only their own; a manager their team's (core.visibility's
  owner rule); finance, directors and admins everyone's.
- **Finance** approves and locks a month, exports it for payroll and writes adjustments
  (a finance user approves what they write).
- **LTV leaderboard**: ranking visibility as for KPI (``kpi.permissions.ranking_names``).
"""

from __future__ import annotations

from salesops.core import visibility
from salesops.org.models import Role


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def can_configure(user) -> bool:
    return _active(user) and (user.is_admin_role or user.edits_everything)


def is_finance(user) -> bool:
    return _active(user) and (user.is_superuser or user.role == Role.FINANCE)


def has_statement(user) -> bool:
    """Whether ``user`` is paid by the plans (has a statement of their own)."""
    return _active(user) and user.role in (Role.REP, Role.MANAGER)


def visible_rep_ids(user):
    """Ids of the reps whose statements ``user`` may see; ``None`` means everyone."""
    return visibility.visible_owner_ids(user)


def can_see_rep(user, rep_id: int) -> bool:
    ids = visible_rep_ids(user)
    if ids is None:
        return _active(user)
    return rep_id in set(ids)


def sees_statements(user) -> bool:
    """Whether the statements section exists for ``user``."""
    return _active(user) and (has_statement(user) or user.sees_everything)
