"""Moving deals between stages (D2): forward through a request that lists the unmet
exit criteria and may wait for a manager's approval (or a rule's); backward, to lost,
or reopened from lost at any time with a reason. Every applied move records how long
the deal spent in the stage it left, in working days (Chinese workday calendar)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salesops.core import calendar, choices, clock, events
from salesops.core.history import save_with_history
from salesops.notifications.services import notify
from salesops.org.models import Role
from salesops.org.selectors import manager_of

from . import criteria, evidence
from .models import (
    ChangeDirection,
    ChangeState,
    Deal,
    DealStatus,
    Stage,
    StageChange,
    StageKind,
)
from .services import require_editable, stall_due

APPROVER_ROLES = (Role.MANAGER, Role.DIRECTOR, Role.ADMIN)


class AlreadyDecided(ValidationError):
    """The request was approved, rejected or withdrawn meanwhile (the API answers 409)."""


class CriteriaUnmet(ValidationError):
    """Exit criteria are missing (422 listing them); ``missing`` keeps the details."""

    def __init__(self, missing: list[dict]):
        self.missing = missing
        super().__init__({"criteria": [item["message"] for item in missing]})


def direction_of(deal: Deal, to_stage: Stage) -> str:
    if to_stage.kind == StageKind.LOST:
        return ChangeDirection.LOST
    if deal.status == DealStatus.LOST:
        return ChangeDirection.REOPENED
    if to_stage.kind == StageKind.WON:
        return ChangeDirection.WON
    if to_stage.order > deal.stage.order:
        return ChangeDirection.FORWARD
    return ChangeDirection.BACKWARD


def stages_left(deal: Deal, to_stage: Stage) -> list[Stage]:
    """The open stages a forward move leaves: the deal's own and every one it skips."""
    return list(
        deal.pipeline.stages.filter(
            kind=StageKind.OPEN, order__gte=deal.stage.order, order__lt=to_stage.order
        ).order_by("order", "id")
        if to_stage.kind == StageKind.OPEN
        else deal.pipeline.stages.filter(kind=StageKind.OPEN, order__gte=deal.stage.order)
    )


def unmet_for_move(deal: Deal, to_stage: Stage, *, extra_evidence=()) -> list[dict]:
    missing: list[dict] = []
    seen: set[str] = set()
    for stage in stages_left(deal, to_stage):
        for item in criteria.unmet(deal, stage, extra_evidence=extra_evidence):
            if item["message"] not in seen:
                seen.add(item["message"])
                missing.append(item)
    return missing


def needs_approval(deal: Deal, to_stage: Stage) -> bool:
    return any(stage.needs_approval for stage in stages_left(deal, to_stage))


def can_approve(user, deal: Deal) -> bool:
    """A manager above the owner (or a director / admin) who may change the deal; never
    the owner approving their own move."""
    if not user.is_authenticated or user.pk == deal.owner_id:
        return False
    if user.role not in APPROVER_ROLES and not user.is_superuser:
        return False
    return Deal.objects.editable_by(user).filter(pk=deal.pk).exists()


def approvers_for(deal: Deal) -> list:
    manager = manager_of(deal.owner)
    return [manager] if manager is not None and manager.is_active else []


def _validate_target(
    deal: Deal, to_stage: Stage | None, direction: str | None, reason: str, lost_reason: str
) -> dict:
    errors: dict[str, list] = {}
    if to_stage is None or to_stage.pipeline_id != deal.pipeline_id:
        return {"to_stage": [_("Pick a stage of the deal's pipeline.")]}
    if to_stage.pk == deal.stage_id:
        return {"to_stage": [_("The deal is already in this stage.")]}
    if deal.status == DealStatus.WON:
        return {"to_stage": [_("A won deal is closed; open a new deal for new business.")]}
    if deal.status == DealStatus.LOST and to_stage.kind != StageKind.OPEN:
        return {"to_stage": [_("Reopen a lost deal into an open stage.")]}
    if direction in (ChangeDirection.BACKWARD, ChangeDirection.LOST, ChangeDirection.REOPENED):
        if not reason.strip():
            errors["reason"] = [_("Say why the deal moves back, is lost or is reopened.")]
    if direction == ChangeDirection.LOST and lost_reason not in choices.active_codes(
        choices.DEAL_LOST_REASON
    ):
        errors["lost_reason"] = [_("Pick a lost reason from the list.")]
    if len(reason) > 500:
        errors["reason"] = [_("Keep the reason to 500 characters.")]
    return errors


def _apply(change: StageChange, *, actor, reason_for_history: str) -> Deal:
    """Move the deal (locked) as ``change`` says and record the time spent in the stage."""
    deal = (
        Deal.objects.select_for_update(of=("self",)).select_related("stage").get(pk=change.deal_id)
    )
    if deal.stage_id != change.from_stage_id:
        change.state = ChangeState.CANCELLED
        change.decision_note = _("The deal moved meanwhile.")
        change.save(update_fields=["state", "decision_note"])
        raise AlreadyDecided({"to_stage": [_("The deal moved meanwhile; ask again.")]})
    now = clock.now()
    change.state = ChangeState.APPLIED
    change.applied_at = now
    change.from_entered_at = deal.stage_entered_at
    change.working_days_in_stage = calendar.working_days_elapsed(deal.stage_entered_at, now)
    change.save()
    to_stage = change.to_stage
    deal.stage = to_stage
    deal.stage_entered_at = now
    deal.stall_due_at = stall_due(to_stage, now)
    if to_stage.kind == StageKind.WON:
        deal.status, deal.closed_at = DealStatus.WON, now
    elif to_stage.kind == StageKind.LOST:
        deal.status, deal.closed_at = DealStatus.LOST, now
    else:
        deal.status, deal.closed_at = DealStatus.OPEN, None
        deal.lost_reason, deal.lost_note = "", ""
    if change.direction == ChangeDirection.LOST:
        deal.lost_reason = change.lost_reason
        deal.lost_note = change.reason
    save_with_history(deal, actor, reason_for_history)
    events.emit(
        "deal.stage_changed",
        {
            "id": deal.pk,
            "change_id": change.pk,
            "owner_id": deal.owner_id,
            "pipeline_id": deal.pipeline_id,
            "from_stage": change.from_stage.code if change.from_stage_id else "",
            "to_stage": to_stage.code,
            "direction": change.direction,
            "status": deal.status,
            "actor_id": getattr(actor, "pk", None),
        },
    )
    return deal


@transaction.atomic
def request_stage_change(
    *,
    actor,
    deal: Deal,
    to_stage: Stage | None,
    reason: str = "",
    lost_reason: str = "",
    uploads: list[tuple[str, object]] = (),
) -> StageChange:
    """Ask to move ``deal`` to ``to_stage``; ``uploads`` are ``(evidence type, file)``
    pairs attached first. Forward: every unmet exit criterion of the stages left raises
    :class:`CriteriaUnmet`; when one of them needs approval the request waits (state
    pending, the manager is notified), otherwise it is applied at once. Backward, lost
    and reopen need a reason and are applied at once. ``actor`` None is an automation
    rule's ``move to stage`` (no person's permissions; the criteria hold the same)."""
    if actor is not None:
        require_editable(actor, deal)
    deal = (
        Deal.objects.select_for_update(of=("self",))
        .select_related("stage", "pipeline")
        .get(pk=deal.pk)
    )
    direction = direction_of(deal, to_stage) if to_stage is not None else None
    errors = _validate_target(deal, to_stage, direction, reason, lost_reason)
    if not errors and StageChange.objects.filter(deal=deal, state=ChangeState.PENDING).exists():
        errors["to_stage"] = [_("A stage change of this deal is already waiting for approval.")]
    if errors:
        raise ValidationError(errors)
    change = StageChange(
        deal=deal,
        from_stage=deal.stage,
        to_stage=to_stage,
        direction=direction,
        state=ChangeState.PENDING,
        reason=reason.strip(),
        lost_reason=lost_reason if direction == ChangeDirection.LOST else "",
        requested_by=actor,
        requested_at=clock.now(),
        pipeline=deal.pipeline,
        owner=deal.owner,
        product_line=deal.product_line,
    )
    forward = direction in (ChangeDirection.FORWARD, ChangeDirection.WON)
    stored = []
    try:
        for type_, upload in uploads:
            stored.append(evidence.evidence_add(actor=actor, deal=deal, type=type_, upload=upload))
        if forward:
            missing = unmet_for_move(deal, to_stage)
            if missing:
                raise CriteriaUnmet(missing)
    except ValidationError:
        for item in stored:
            evidence.storage().delete(item.file.name)
        raise
    waits = forward and needs_approval(deal, to_stage)
    change.save()
    if stored:
        for item in stored:
            item.stage_change = change
            item.save(update_fields=["stage_change"])
    if not waits:
        _apply(change, actor=actor, reason_for_history=f"stage: {direction}")
        return change
    events.emit(
        "deal.stage_change_requested",
        {
            "id": deal.pk,
            "change_id": change.pk,
            "owner_id": deal.owner_id,
            "from_stage": deal.stage.code,
            "to_stage": to_stage.code,
            "actor_id": getattr(actor, "pk", None),
        },
    )
    approvers = approvers_for(deal)
    if approvers:
        transaction.on_commit(
            lambda: notify(
                recipients=approvers,
                kind="deal_approval",
                title=_("Stage change to approve: %(deal)s → %(stage)s")
                % {"deal": deal.name, "stage": to_stage.name},
                body=reason.strip(),
                link=deal.get_absolute_url(),
                source=f"stagechange:{change.pk}",
            )
        )
    return change


def _locked_pending(change: StageChange) -> StageChange:
    change = (
        StageChange.objects.select_for_update(of=("self",))
        .select_related("deal", "to_stage", "from_stage")
        .get(pk=change.pk)
    )
    if change.state != ChangeState.PENDING:
        raise AlreadyDecided(
            {
                "state": [
                    _("This request is already %(state)s.")
                    % {"state": change.get_state_display().lower()}
                ]
            }
        )
    return change


@transaction.atomic
def approve(*, actor, change: StageChange, note: str = "") -> StageChange:
    """Approve a waiting request and move the deal. A second approver is told it is done
    (:class:`AlreadyDecided`)."""
    change = _locked_pending(change)
    if not can_approve(actor, change.deal):
        raise PermissionDenied(_("Only a manager above the deal's owner can approve."))
    change.decided_by = actor
    change.decided_at = clock.now()
    change.decision_note = note.strip()[:500]
    _apply(change, actor=actor, reason_for_history="stage: approved")
    _tell_requester(change, approved=True)
    return change


@transaction.atomic
def approve_by_rule(*, change: StageChange, rule_id: int, actor=None) -> StageChange:
    """A rule's approval (the ``approve stage change`` action): no person decided."""
    change = _locked_pending(change)
    change.decided_by_rule = rule_id
    change.decided_at = clock.now()
    change.decision_note = _("Approved by rule #%(id)s.") % {"id": rule_id}
    _apply(change, actor=actor, reason_for_history=f"stage: approved by rule {rule_id}")
    _tell_requester(change, approved=True)
    return change


@transaction.atomic
def reject(*, actor, change: StageChange, reason: str) -> StageChange:
    change = _locked_pending(change)
    if not can_approve(actor, change.deal):
        raise PermissionDenied(_("Only a manager above the deal's owner can reject."))
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why the request is rejected.")]})
    change.state = ChangeState.REJECTED
    change.decided_by = actor
    change.decided_at = clock.now()
    change.decision_note = reason.strip()[:500]
    change.save()
    events.emit(
        "deal.stage_change_rejected",
        {
            "id": change.deal_id,
            "change_id": change.pk,
            "owner_id": change.deal.owner_id,
            "actor_id": actor.pk,
        },
    )
    _tell_requester(change, approved=False)
    return change


@transaction.atomic
def withdraw(*, actor, change: StageChange) -> StageChange:
    change = _locked_pending(change)
    require_editable(actor, change.deal)
    change.state = ChangeState.CANCELLED
    change.decided_by = actor
    change.decided_at = clock.now()
    change.save()
    return change


def _tell_requester(change: StageChange, *, approved: bool) -> None:
    if change.requested_by_id is None:
        return
    deal = change.deal
    if approved:
        title = _("Approved: %(deal)s moved to %(stage)s") % {
            "deal": deal.name,
            "stage": change.to_stage.name,
        }
    else:
        title = _("Rejected: %(deal)s stays in %(stage)s") % {
            "deal": deal.name,
            "stage": change.from_stage.name,
        }
    recipient = change.requested_by_id
    body = change.decision_note
    transaction.on_commit(
        lambda: notify(
            recipients=[recipient],
            kind="deal_approval",
            title=title,
            body=body,
            link=deal.get_absolute_url(),
            source=f"stagechange:{change.pk}",
        )
    )
