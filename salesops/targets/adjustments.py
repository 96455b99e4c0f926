"""Adjustments of a published plan (T1 item 1): a manager (or configurer) asks to change
some reps' targets with a reason; the director approves (a new allocation version holds
the new amounts and the plan's pool becomes their sum — the total may change) or rejects.
Deciding twice, or deciding an adjustment the plan has moved past, is a conflict (409)."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salesops.core import clock
from salesops.core.history import save_with_history

from .lifecycle import Conflict, require_decider
from .models import Adjustment, AdjustmentState, Allocation, TargetPlan
from .permissions import can_adjust_rep

CENT = Decimal("0.01")
REASON_MAX = 500
AMOUNT_MAX = Decimal("99999999999999.99")


def largest_remainder(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """``total`` split in proportion to ``weights`` to the cent, the parts adding up to it
    exactly (the leftover cents go to the largest fractional parts, earlier ones first on
    a tie); all-zero weights split equally."""
    if not weights:
        return []
    weights = [max(Decimal(w), Decimal(0)) for w in weights]
    if not sum(weights):
        weights = [Decimal(1)] * len(weights)
    cents = int((Decimal(total) / CENT).to_integral_value())
    whole = sum(weights)
    raw = [Decimal(cents) * w / whole for w in weights]
    floors = [int(r.to_integral_value(rounding=ROUND_FLOOR)) for r in raw]
    left = cents - sum(floors)
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [(Decimal(c) * CENT).quantize(CENT) for c in floors]


def _amount(value) -> Decimal | None:
    if isinstance(value, bool) or value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or number < 0 or number > AMOUNT_MAX:
        return None
    return number.quantize(CENT)


@transaction.atomic
def adjustment_request(*, plan, actor, changes, reason) -> Adjustment:
    """Ask for new amounts ``{rep_id: amount}`` of reps of the version in force."""
    plan = TargetPlan.objects.select_for_update().get(pk=plan.pk)
    errors: dict[str, list] = {}
    if not plan.is_locked:
        raise ValidationError(
            {
                "changes": [
                    _(
                        "The plan is not published: change the reps' shares on the decomposition page."
                    )
                ]
            }
        )
    reason = str(reason or "").strip()
    if not reason:
        errors["reason"] = [_("Say why the targets change.")]
    elif len(reason) > REASON_MAX:
        errors["reason"] = [_("At most %(limit)d characters.") % {"limit": REASON_MAX}]
    current = {
        row.rep_id: row
        for row in Allocation.objects.filter(plan=plan, version=plan.version).select_related("rep")
    }
    clean: dict[str, str] = {}
    problems = []
    if not isinstance(changes, dict) or not changes:
        problems.append(_("Give at least one rep and their new target."))
    else:
        for key, value in changes.items():
            try:
                rep_id = int(key)
            except (TypeError, ValueError):
                rep_id = None
            if rep_id not in current:
                problems.append(_("%(rep)s has no target in this plan.") % {"rep": key})
                continue
            amount = _amount(value)
            if amount is None:
                problems.append(
                    _("%(rep)s: give an amount of zero or more.") % {"rep": current[rep_id].rep}
                )
                continue
            clean[str(rep_id)] = str(amount)
        if not problems and all(Decimal(clean[k]) == current[int(k)].amount for k in clean):
            problems.append(_("Nothing changes: every amount is the one in force."))
    if problems:
        errors["changes"] = problems
    if errors:
        raise ValidationError(errors)
    for key in clean:
        if not can_adjust_rep(actor, current[int(key)].rep):
            raise PermissionDenied(
                _("You may not change %(rep)s's target.") % {"rep": current[int(key)].rep}
            )
    adjustment = Adjustment(
        plan=plan, from_version=plan.version, changes=clean, reason=reason, created_by=actor
    )
    save_with_history(adjustment, actor, "requested")
    return adjustment


def _pending(adjustment, actor) -> tuple[Adjustment, TargetPlan]:
    require_decider(actor)
    adjustment = Adjustment.objects.select_for_update().get(pk=adjustment.pk)
    plan = TargetPlan.objects.select_for_update().get(pk=adjustment.plan_id)
    if adjustment.state != AdjustmentState.PENDING:
        raise Conflict(
            {
                "state": [
                    _("This adjustment was %(state)s already.")
                    % {"state": adjustment.get_state_display().lower()}
                ]
            }
        )
    return adjustment, plan


def _decide(adjustment, actor, state, note) -> None:
    note = str(note or "").strip()
    if len(note) > REASON_MAX:
        raise ValidationError(
            {"note": [_("At most %(limit)d characters.") % {"limit": REASON_MAX}]}
        )
    adjustment.state = state
    adjustment.decided_by = actor
    adjustment.decided_at = clock.now()
    adjustment.decision_note = note


@transaction.atomic
def adjustment_approve(*, adjustment, actor, note="") -> Adjustment:
    """Write version + 1: every allocation copied, the changed ones with their new amount
    (months re-split in proportion to the old months), marked adjusted with the reason;
    the plan holds the new version and its pool is the new sum."""
    adjustment, plan = _pending(adjustment, actor)
    if plan.version != adjustment.from_version:
        raise Conflict(
            {"state": [_("The plan's targets changed since this was asked; ask again.")]}
        )
    _decide(adjustment, actor, AdjustmentState.APPROVED, note)
    new_version = plan.version + 1
    total = Decimal("0.00")
    rows = Allocation.objects.filter(plan=plan, version=plan.version).order_by("pk")
    for row in rows:
        old_amount, old_monthly = row.amount, list(row.monthly or [])
        row.pk = None
        row.id = None
        row.version = new_version
        new_amount = adjustment.changes.get(str(row.rep_id))
        if new_amount is not None and Decimal(new_amount) != old_amount:
            row.amount = Decimal(new_amount)
            weights = [Decimal(str(m)) for m in old_monthly] or [Decimal(1)] * 12
            row.monthly = [str(m) for m in largest_remainder(row.amount, weights)]
            row.adjusted = True
            row.reason = adjustment.reason[:500]
        total += row.amount
        save_with_history(row, actor, f"adjustment {adjustment.pk}")
    if total:
        for row in Allocation.objects.filter(plan=plan, version=new_version):
            share = (row.amount / total).quantize(Decimal("0.00000001"))
            if share != row.share:
                Allocation.objects.filter(pk=row.pk).update(share=share)
    plan.version = new_version
    plan.pool = total
    save_with_history(plan, actor, f"adjustment {adjustment.pk} approved")
    adjustment.to_version = new_version
    save_with_history(adjustment, actor, "approved")
    return adjustment


@transaction.atomic
def adjustment_reject(*, adjustment, actor, note="") -> Adjustment:
    adjustment, _plan = _pending(adjustment, actor)
    _decide(adjustment, actor, AdjustmentState.REJECTED, note)
    save_with_history(adjustment, actor, "rejected")
    return adjustment


def rep_names(adjustment: Adjustment) -> dict[int, str]:
    ids = [int(k) for k in adjustment.changes]
    return {u.pk: str(u) for u in get_user_model().objects.filter(pk__in=ids)}
