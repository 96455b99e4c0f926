"""The visibility framework: who may see and change which records.

Every model that people own gets a queryset with ``visible_to(user)`` and
``editable_by(user)``. Views, API endpoints, exports and reports start from those, never
from ``Model.objects.all()``. The rules (SPEC X8):

* a rep (and a customer-success manager) sees records they own;
* a manager sees records owned by anyone in the team subtrees they manage, plus their
  direct reports and themselves;
* directors and sales-ops admins see everything;
* finance reads everything (revenue work needs the accounts) but edits nothing here;
* customer success sees, besides what they own, their *book*: every account that is a
  customer (has a signed, active or completed contract) and every account they are the
  assigned customer-success manager of (``Account.success_owner``). On those accounts
  they read the account, its contacts and its revenue records, and work the after-sales
  records (complaints, NPS, tickets, renewals, delivery milestones) as their owner would.
  Querysets say how they reach the account (``account_path``) and whether the book
  grants changes (``success_edits``). What makes an account part of the book is
  registered by the apps that know (customers: the assigned manager; revenue: the
  contracts) through :func:`register_success_book`, since core sits below both.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q

# Core sits below org, so it cannot ask org who reports to a manager: org registers the
# answer here when its app is ready (org/apps.py → org.selectors.subordinate_ids).
_subordinate_ids: Callable | None = None


def set_subordinate_resolver(resolver: Callable) -> None:
    """Register ``resolver(user) -> list of user ids`` a manager's scope covers."""
    global _subordinate_ids
    _subordinate_ids = resolver


# Each resolver answers ``resolver(user) -> queryset of account ids`` in the user's
# customer-success book; the book is their union (customers, revenue register theirs).
_success_books: list[Callable] = []


def register_success_book(resolver: Callable) -> None:
    """Register ``resolver(user)`` → a ``values()`` queryset of account ids that belong to
    customer-success manager ``user``'s book (see the module docstring)."""
    if resolver not in _success_books:
        _success_books.append(resolver)


def is_customer_success(user) -> bool:
    return bool(
        user
        and user.is_authenticated
        and user.is_active
        and getattr(user, "is_customer_success_role", False)
    )


def success_book_q(user, account_path: str | None) -> Q | None:
    """A ``Q`` matching records whose account (reached by ``account_path``, ``"pk"`` for
    the account itself) is in ``user``'s customer-success book; ``None`` when ``user`` is
    not customer success or the model belongs to no account."""
    if account_path is None or not is_customer_success(user):
        return None
    condition = Q(pk__in=[])
    for resolver in _success_books:
        condition |= Q(**{f"{account_path}__in": resolver(user)})
    return condition


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

    ``account_path`` is the lookup from the model to its customer account (``"pk"`` for
    the account, ``"account"`` for a contact), ``None`` for records of no account: it
    lets customer success see the records of the accounts in their book, and change them
    where ``success_edits`` says so (after-sales work).
    """

    owner_path = "owner"
    account_path: str | None = None
    success_edits = False

    def _scope(self, ids, book: Q | None = None):
        if ids is None:
            return self
        if isinstance(ids, list) and not ids:
            return self.none() if book is None else self.filter(book)
        owned = Q(**{f"{self.owner_path}__in": ids})
        return self.filter(owned if book is None else owned | book)

    def visible_to(self, user):
        return self._scope(visible_owner_ids(user), success_book_q(user, self.account_path))

    def editable_by(self, user):
        book = success_book_q(user, self.account_path) if self.success_edits else None
        return self._scope(editable_owner_ids(user), book)

    def in_success_book(self, user):
        """The records on accounts in ``user``'s customer-success book (none for others)."""
        book = success_book_q(user, self.account_path)
        return self.none() if book is None else self.filter(book)


def can_edit(user, obj, queryset) -> bool:
    """Whether ``obj`` (an instance of the queryset's model) may be changed by ``user``."""
    return queryset.editable_by(user).filter(pk=obj.pk).exists()
