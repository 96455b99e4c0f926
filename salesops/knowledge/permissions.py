"""Who may write the knowledge base: sales-ops admins, directors and managers. Everyone
signed in reads it."""

from __future__ import annotations

from salesops.org.models import Role

EDITOR_ROLES = frozenset({Role.ADMIN, Role.DIRECTOR, Role.MANAGER})


def can_edit(user) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or user.role in EDITOR_ROLES)
