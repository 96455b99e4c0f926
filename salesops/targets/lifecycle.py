"""Rules every plan service shares: who may configure, the state order, the lock after
publishing and the conflict error (the API answers it 409)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from .models import STATE_ORDER, PlanState, TargetPlan
from .permissions import can_configure, can_decide


class Conflict(ValidationError):
    """The request came too late: the vote is closed, the adjustment decided, the plan
    changed meanwhile (the API answers 409 naming the field)."""


def require_configurer(actor) -> None:
    if not can_configure(actor):
        raise PermissionDenied(_("Only sales-ops admins and directors configure targets."))


def require_decider(actor) -> None:
    if not can_decide(actor):
        raise PermissionDenied(_("Only a director decides this."))


def require_unlocked(plan: TargetPlan, field: str = "state") -> None:
    """A published plan refuses every edit: later changes go through an adjustment."""
    if plan.is_locked:
        raise ValidationError(
            {
                field: [
                    _(
                        "The plan is published and can no longer be edited: ask for an "
                        "adjustment instead."
                    )
                ]
            }
        )


def reached(plan: TargetPlan, state: str) -> bool:
    """Whether ``plan`` has come at least as far as ``state``."""
    return STATE_ORDER.index(plan.state) >= STATE_ORDER.index(state)


def require_reached(plan: TargetPlan, state: str, field: str = "state") -> None:
    if not reached(plan, state):
        label = PlanState(state).label
        raise ValidationError(
            {field: [_("Do this once the plan is “%(state)s”.") % {"state": label}]}
        )
