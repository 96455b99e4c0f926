"""Reads of the stage-change requests waiting for a decision (D2): those a user may
approve (the approvals queue, its menu badge) and those a user asked for."""

from __future__ import annotations

from django.db.models import Prefetch

from salesops.core.visibility import editable_owner_ids

from .models import ChangeState, Evidence, StageChange
from .stages import APPROVER_ROLES


def may_approve_any(user) -> bool:
    """Whether the approvals queue is for this user (managers, directors, admins)."""
    return user.is_authenticated and (user.role in APPROVER_ROLES or user.is_superuser)


def _detailed(changes):
    return changes.select_related(
        "deal",
        "deal__account",
        "deal__owner",
        "from_stage",
        "to_stage",
        "requested_by",
    ).prefetch_related(
        Prefetch("evidence", queryset=Evidence.objects.order_by("type", "id"), to_attr="files")
    )


def approvable(user):
    """The waiting requests ``user`` may decide: on deals they may change, never their own
    (the rule of :func:`stages.can_approve`, as one query)."""
    if not may_approve_any(user):
        return StageChange.objects.none()
    waiting = StageChange.objects.filter(state=ChangeState.PENDING)
    # Deal.objects.editable_by(user) is "owner among editable_owner_ids(user)" (or every
    # deal): said on the request's deal directly, the database starts from the few
    # waiting requests instead of walking every deal the user may change.
    owners = editable_owner_ids(user)
    if owners is not None:
        waiting = waiting.filter(deal__owner_id__in=owners)
    return waiting.exclude(deal__owner=user).order_by("requested_at", "id")


def approvable_detailed(user):
    return _detailed(approvable(user))


def pending_count(user) -> int:
    """The menu badge: how many requests wait for ``user`` (counted once per request:
    the menu and the page ask the same ``request.user``)."""
    if not may_approve_any(user):
        return 0
    cached = getattr(user, "_pending_approvals", None)
    if cached is None:
        cached = user._pending_approvals = approvable(user).count()
    return cached


def requested_by(user):
    """The user's own requests still waiting (they may withdraw them)."""
    return _detailed(
        StageChange.objects.visible_to(user)
        .filter(state=ChangeState.PENDING, requested_by=user)
        .order_by("requested_at", "id")
    )
