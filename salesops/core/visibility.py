"""The visibility framework: who may see and change which records.

Every model that people own gets a queryset with ``visible_to(user)`` and
``editable_by(user)``. Views, API endpoints, exports and reports start from those, never
from ``Model.objects.all()``. The rules (SPEC X8):

* a rep (and a customer-success manager) sees records they own;
* a manager sees records owned by anyone in the team subtrees they manage, plus their
  direct reports and themselves;
* directors and sales-ops admins see everything;
* finance reads everything (revenue work needs the accounts) but edits nothing here.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db import models

# Core sits below org, so it cannot ask org who reports to a manager: org registers the
# answer here when its app is ready (org/apps.py → org.selectors.subordinate_ids).
_subordinate_ids: Callable | None = None


def set_subordinate_resolver(resolver: Callable) -> None:
    """Register ``resolver(user) -> list of user ids`` a manager's scope covers."""
    global _subordinate_ids
    _subordinate_ids = resolver


def _subordinates(user):
    if _subordinate_ids is None:
        raise RuntimeError("No subordinate resolver registered: is salesops.org installed?")
    return _subordinate_ids(user)


def visible_owner_ids(user):
    """A queryset of user ids whose records ``user`` may see, or ``None`` for "everyone"."""
    if not user or not user.is_authenticated or not user.is_active:
        return []
    if user.sees_everything:
        return None
    if user.is_manager_role:
        return _subordinates(user)
    return [user.pk]


def editable_owner_ids(user):
    """Like :func:`visible_owner_ids`, for changing and deleting."""
    if not user or not user.is_authenticated or not user.is_active:
        return []
    if user.edits_everything:
        return None
    if user.is_read_only_role:
        return []
    if user.is_manager_role:
        return _subordinates(user)
    return [user.pk]


def visible_users(user):
    """The active users ``user`` may see: pick as owners, or filter a list by."""
    queryset = get_user_model().objects.filter(is_active=True)
    ids = visible_owner_ids(user)
    if ids is None:
        return queryset
    return queryset.filter(pk__in=ids)


class OwnedQuerySet(models.QuerySet):
    """A queryset for models whose visibility follows an owner field.

    ``owner_path`` is the lookup from the model to the owning user (``"owner"`` or, for a
    contact, ``"account__owner"``).
    """

    owner_path = "owner"

    def _scope(self, ids):
        if ids is None:
            return self
        if isinstance(ids, list) and not ids:
            return self.none()
        return self.filter(**{f"{self.owner_path}__in": ids})

    def visible_to(self, user):
        return self._scope(visible_owner_ids(user))

    def editable_by(self, user):
        return self._scope(editable_owner_ids(user))


def can_edit(user, obj, queryset) -> bool:
    """Whether ``obj`` (an instance of the queryset's model) may be changed by ``user``."""
    return queryset.editable_by(user).filter(pk=obj.pk).exists()
