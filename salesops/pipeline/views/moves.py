"""Pages: moving a deal between stages (D2) and the approvals queue.

The move page shows the stage picked (``?to=``, as a drop on the kanban sends it), the
exit criteria of the stages being left that are not met yet, a file field for each
evidence type they require, and the reason fields; posting it calls
:func:`stages.request_stage_change`. Unmet criteria answer 422 with the list. The queue
shows the requests the user may decide; approving, rejecting (with a reason) and
withdrawing (the requester) are POSTs. A request decided meanwhile is a message, not an
error page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from salesops.core import choices

from .. import approvals, criteria, stages
from ..models import (
    ChangeDirection,
    ChangeState,
    Deal,
    Evidence,
    Stage,
    StageChange,
    StageKind,
)
from ..move_forms import MoveForm, RejectForm, TargetForm


# --- helpers --------------------------------------------------------------------------
def _deal_or_404(user, pk) -> Deal:
    deal = (
        Deal.objects.visible_to(user)
        .select_related("account", "owner", "stage", "pipeline")
        .filter(pk=pk)
        .first()
    )
    if deal is None:
        raise Http404(_("No such deal, or you may not open it."))
    return deal


def _next_url(request, deal: Deal | None = None) -> str:
    """Where to go after the move: the page the user came from (``next``, same site
    only), else the deal's pipeline on the kanban."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    url = reverse("pipeline:kanban")
    return f"{url}?pipeline={deal.pipeline_id}" if deal is not None else url


def _field_label(name: str) -> str:
    label = criteria.FIELD_LABELS.get(name)
    return label() if label else name


def _requirements(stage) -> list[str]:
    """An open stage's exit criteria in words (for the approver)."""
    lines = [
        _("Fill in “%(field)s”.") % {"field": _field_label(name)}
        for name in stage.required_fields or ()
    ]
    lines += [
        _("Upload evidence: %(type)s.") % {"type": choices.label(choices.EVIDENCE_TYPE, code)}
        for code in stage.required_evidence or ()
    ]
    for item in stage.required_activities or ():
        if isinstance(item, dict) and item.get("kind"):
            lines.append(
                _("Log %(count)s × %(kind)s on the deal in this stage.")
                % {
                    "count": item.get("count", 1),
                    "kind": criteria.activity_kind_label(item["kind"]),
                }
            )
    return lines


def _move_context(deal: Deal, to_stage) -> dict:
    """What the page shows for a move of ``deal`` to ``to_stage`` (None: none picked)."""
    direction = stages.direction_of(deal, to_stage) if to_stage is not None else None
    forward = direction in (ChangeDirection.FORWARD, ChangeDirection.WON)
    left = stages.stages_left(deal, to_stage) if forward else []
    evidence_types: list[str] = []
    for stage in left:
        for code in stage.required_evidence or ():
            if code not in evidence_types:
                evidence_types.append(code)
    have = set(Evidence.objects.filter(deal=deal).values_list("type", flat=True))
    return {
        "direction": direction,
        "direction_label": ChangeDirection(direction).label if direction else "",
        "forward": forward,
        "stages_left": left,
        "missing": stages.unmet_for_move(deal, to_stage) if forward else [],
        "evidence_types": evidence_types,
        "evidence_have": have,
        "needs_approval": forward and any(stage.needs_approval for stage in left),
        "approvers": stages.approvers_for(deal) if forward else [],
        "lost": to_stage is not None and to_stage.kind == StageKind.LOST,
        "needs_reason": direction
        in (ChangeDirection.BACKWARD, ChangeDirection.LOST, ChangeDirection.REOPENED),
    }


# --- the move page --------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def deal_move(request, pk):
    user = request.user
    deal = _deal_or_404(user, pk)
    if not Deal.objects.editable_by(user).filter(pk=deal.pk).exists():
        raise PermissionDenied(_("You cannot change this deal."))
    pending = (
        StageChange.objects.filter(deal=deal, state=ChangeState.PENDING)
        .select_related("to_stage", "from_stage", "requested_by")
        .first()
    )
    status = 200
    target_form = TargetForm(
        {"to": request.POST.get("to_stage") or request.GET.get("to") or ""}, deal=deal
    )
    to_stage = target_form.cleaned_data.get("to") if target_form.is_valid() else None
    context = _move_context(deal, to_stage)
    form = None
    if to_stage is not None and pending is None:
        form = MoveForm(
            request.POST or None,
            request.FILES or None,
            evidence_types=context["evidence_types"],
            lost=context["lost"],
            initial={"to_stage": to_stage.pk},
        )
    if request.method == "POST":
        if pending is not None:
            messages.info(
                request, _("A stage change of this deal is already waiting for approval.")
            )
            return redirect(_next_url(request, deal))
        if form is None:
            if target_form.is_valid():
                target_form.add_error("to", _("Pick the stage to move to."))
            status = 400
        elif not form.is_valid():
            status = 400
        else:
            try:
                change = stages.request_stage_change(
                    actor=user,
                    deal=deal,
                    to_stage=to_stage,
                    reason=form.cleaned_data.get("reason") or "",
                    lost_reason=form.cleaned_data.get("lost_reason") or "",
                    uploads=form.uploads(),
                )
            except stages.CriteriaUnmet as exc:
                context["missing"] = exc.missing
                context["blocked"] = True
                status = 422
            except stages.AlreadyDecided as exc:
                messages.warning(request, " ".join(exc.messages))
                return redirect(_next_url(request, deal))
            except ValidationError as exc:
                _attach(form, target_form, exc)
                status = 400
            else:
                if change.state == ChangeState.PENDING:
                    names = ", ".join(a.label for a in context["approvers"]) or _("a manager")
                    messages.success(
                        request,
                        _("The move of %(deal)s to %(stage)s waits for approval by %(who)s.")
                        % {"deal": deal.name, "stage": to_stage.name, "who": names},
                    )
                else:
                    messages.success(
                        request,
                        _("%(deal)s moved to %(stage)s.")
                        % {"deal": deal.name, "stage": to_stage.name},
                    )
                return redirect(_next_url(request, deal))
    context.update(
        {
            "deal": deal,
            "to_stage": to_stage,
            "target_form": target_form,
            "form": form,
            "pending": pending,
            "next": _next_url(request, deal),
            "from_requirements": _requirements(deal.stage) if deal.stage.is_open else [],
        }
    )
    return render(request, "pipeline/move.html", context, status=status)


def _attach(form, target_form, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.message_dict.items():
        if field == "to_stage":
            target_form.add_error("to", errors)
        elif field in form.fields:
            form.add_error(field, errors)
        elif field in ("file", "type"):
            form.add_error(None, [_("Evidence: %(error)s") % {"error": e} for e in errors])
        else:
            form.add_error(None, errors)


# --- the approvals queue --------------------------------------------------------------
def _approvals_page(request, *, errors: dict | None = None, status: int = 200):
    user = request.user
    waiting = list(approvals.approvable_detailed(user)[:200])
    # The stages each request leaves, from one read of the pipelines' stages.
    open_stages = list(
        Stage.objects.filter(
            pipeline_id__in={change.deal.pipeline_id for change in waiting},
            kind=StageKind.OPEN,
        ).order_by("order", "id")
    )
    for change in waiting:
        start, end = change.from_stage, change.to_stage
        change.requirements = [
            (stage, _requirements(stage))
            for stage in open_stages
            if stage.pipeline_id == change.deal.pipeline_id
            and start is not None
            and stage.order >= start.order
            and (end.kind != StageKind.OPEN or stage.order < end.order)
        ]
    context = {
        "waiting": waiting,
        "mine": list(approvals.requested_by(user)[:200]),
        "may_approve": approvals.may_approve_any(user),
        "errors": errors or {},
        "reject_form": RejectForm(),
    }
    return render(request, "pipeline/approvals.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def approval_queue(request):
    return _approvals_page(request)


def _change_or_404(user, pk) -> StageChange:
    change = (
        StageChange.objects.visible_to(user)
        .select_related("deal", "to_stage", "from_stage")
        .filter(pk=pk)
        .first()
    )
    if change is None:
        raise Http404(_("No such stage change, or you may not open it."))
    return change


def _back(request):
    return redirect(_next_url(request) if request.POST.get("next") else "pipeline:approvals")


@login_required
@require_POST
def change_approve(request, pk):
    change = _change_or_404(request.user, pk)
    try:
        stages.approve(actor=request.user, change=change, note=request.POST.get("note", ""))
    except stages.AlreadyDecided as exc:
        messages.info(request, " ".join(exc.messages))
        return _back(request)
    messages.success(
        request,
        _("Approved: %(deal)s moved to %(stage)s.")
        % {"deal": change.deal.name, "stage": change.to_stage.name},
    )
    return _back(request)


@login_required
@require_POST
def change_reject(request, pk):
    change = _change_or_404(request.user, pk)
    form = RejectForm(request.POST)
    if not form.is_valid():
        if change.state != ChangeState.PENDING:
            messages.info(request, _("This request is already decided."))
            return _back(request)
        return _approvals_page(
            request, errors={change.pk: form.errors.get("reason", [])}, status=400
        )
    try:
        stages.reject(actor=request.user, change=change, reason=form.cleaned_data["reason"])
    except stages.AlreadyDecided as exc:
        messages.info(request, " ".join(exc.messages))
        return _back(request)
    except ValidationError as exc:
        return _approvals_page(request, errors={change.pk: exc.messages}, status=400)
    messages.success(
        request,
        _("Rejected: %(deal)s stays in %(stage)s.")
        % {"deal": change.deal.name, "stage": change.from_stage.name},
    )
    return _back(request)


@login_required
@require_POST
def change_withdraw(request, pk):
    change = _change_or_404(request.user, pk)
    if change.requested_by_id != request.user.pk:
        raise PermissionDenied(_("Only the person who asked can withdraw the request."))
    try:
        stages.withdraw(actor=request.user, change=change)
    except stages.AlreadyDecided as exc:
        messages.info(request, " ".join(exc.messages))
        return _back(request)
    messages.success(
        request, _("Withdrawn: %(deal)s stays in its stage.") % {"deal": change.deal.name}
    )
    return _back(request)


urlpatterns = [
    path("<int:pk>/move/", deal_move, name="deal_move"),
    path("approvals/", approval_queue, name="approvals"),
    path("changes/<int:pk>/approve/", change_approve, name="change_approve"),
    path("changes/<int:pk>/reject/", change_reject, name="change_reject"),
    path("changes/<int:pk>/withdraw/", change_withdraw, name="change_withdraw"),
]
