"""Stage changes and evidence over the API (mounted through :mod:`.api`), and the deal
helpers both modules use.

* ``POST /deals/{id}/stage-changes``: 201 when applied, 202 when it waits for approval;
  unmet exit criteria → 422 ``criteria_unmet`` listing each one (``missing``).
* ``POST /stage-changes/{id}/approve|reject|withdraw``: a request decided meanwhile →
  409 ``already_decided``; only a manager above the owner (or a director / admin) decides.
* Evidence files are uploaded as multipart and read back only by those who see the deal.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from salesops.core.api_errors import error_response
from salesops.core.pagination import paginate

from . import evidence as evidence_service
from . import stages
from .models import ChangeState, Deal, Evidence, Stage, StageChange
from .schemas import (
    ApproveIn,
    EvidenceOut,
    RejectIn,
    StageChangeIn,
    StageChangeOut,
    StageChangePage,
)

router = Router(tags=["deals"])

DEAL_RELATED = ("account", "owner", "stage", "pipeline")
CHANGE_RELATED = ("deal", "from_stage", "to_stage", "requested_by", "decided_by")
# A service's field names as the request spells them.
RENAMED = {
    "account": "account_id",
    "owner": "owner_id",
    "pipeline": "pipeline_id",
    "stage": "stage_id",
    "contacts": "contact_ids",
    "lead": "lead_id",
}


# --- deal helpers (also used by .api) -------------------------------------------------------
def visible_deals(user):
    return Deal.objects.visible_to(user).select_related(*DEAL_RELATED).prefetch_related("contacts")


def deal_or_404(request, deal_id: int) -> Deal:
    """The deal if the caller may see it, else 404 (whether or not it exists)."""
    deal = visible_deals(request.user).filter(pk=deal_id).first()
    if deal is None:
        raise Http404
    return deal


def reload_deal(deal: Deal) -> Deal:
    return Deal.objects.select_related(*DEAL_RELATED).prefetch_related("contacts").get(pk=deal.pk)


@contextmanager
def fields_renamed(mapping: dict[str, str] = RENAMED):
    """Report a service's field names under the names the request used (owner → owner_id)."""
    try:
        yield
    except ValidationError as exc:
        if type(exc) is not ValidationError or not hasattr(exc, "error_dict"):
            raise
        raise ValidationError(
            {mapping.get(key, key): errors for key, errors in exc.error_dict.items()}
        ) from None


# --- answers --------------------------------------------------------------------------------
def already_decided(request, exc: stages.AlreadyDecided):
    """409 ``already_decided``: someone approved, rejected or withdrew it (or the deal
    moved) meanwhile; nothing was changed by this request."""
    field, messages = next(iter(exc.message_dict.items()), (None, [str(exc)]))
    return error_response(request, 409, "already_decided", messages[0], field)


def criteria_unmet(request, exc: stages.CriteriaUnmet):
    """422 ``criteria_unmet``: every exit criterion the move lacks, each in ``errors`` (and
    with its details in ``missing``: evidence type, activity kind)."""
    errors = [
        {"code": "criterion_unmet", "field": "criteria", "message": str(item["message"])}
        for item in exc.missing
    ]
    missing = [{**item, "message": str(item["message"])} for item in exc.missing]
    message = _("The deal cannot leave its stage yet: %(missing)s") % {
        "missing": " ".join(item["message"] for item in missing)
    }
    return error_response(
        request, 422, "criteria_unmet", message, "criteria", errors=errors, missing=missing
    )


# --- stage changes --------------------------------------------------------------------------
def _changes(user):
    return StageChange.objects.visible_to(user).select_related(*CHANGE_RELATED)


def _change_or_404(request, change_id: int) -> StageChange:
    change = _changes(request.user).filter(pk=change_id).first()
    if change is None:
        raise Http404
    return change


def _to_approve(user):
    """The waiting requests ``user`` may decide (stages.can_approve, as one query)."""
    if not user.is_superuser and user.role not in stages.APPROVER_ROLES:
        return StageChange.objects.none()
    return (
        StageChange.objects.filter(
            state=ChangeState.PENDING, deal__in=Deal.objects.editable_by(user)
        )
        .exclude(deal__owner=user)
        .select_related(*CHANGE_RELATED)
    )


class StageChangeQuery(Schema):
    state: str | None = None
    deal: int | None = None
    page: int = 1
    page_size: int = 25


@router.get(
    "/stage-changes",
    response=StageChangePage,
    summary="List stage changes (state=pending: the requests you may approve)",
    description="state=pending lists the requests waiting for a decision that you may "
    "approve or reject (a manager's inbox); other states (applied, rejected, cancelled) or "
    "none list the moves of the deals you can see. deal: one deal's id. Newest first.",
)
def list_stage_changes(request, query: Query[StageChangeQuery]):
    state = (query.state or "").strip()
    if state and state not in ChangeState.values:
        raise ValidationError(
            {"state": [_("Choose one of: %(choices)s.") % {"choices": ", ".join(ChangeState)}]}
        )
    if state == ChangeState.PENDING:
        changes = _to_approve(request.user)
    else:
        changes = _changes(request.user)
        if state:
            changes = changes.filter(state=state)
    if query.deal is not None:
        changes = changes.filter(deal_id=query.deal)
    changes = changes.order_by("-requested_at", "-id")
    return paginate(changes, query.page, query.page_size)


@router.get("/stage-changes/{change_id}", response=StageChangeOut, summary="Get a stage change")
def get_stage_change(request, change_id: int):
    return _change_or_404(request, change_id)


@router.get(
    "/deals/{deal_id}/stage-changes",
    response=list[StageChangeOut],
    summary="A deal's stage changes",
)
def deal_stage_changes(request, deal_id: int):
    """Every move and request of the deal, newest first (its creation last)."""
    deal = deal_or_404(request, deal_id)
    return list(
        StageChange.objects.filter(deal=deal)
        .select_related(*CHANGE_RELATED)
        .order_by("-requested_at", "-id")
    )


def _target(deal: Deal, value) -> Stage | None:
    """The stage ``value`` (an id, or a code) names in the deal's pipeline; None otherwise
    (the service then says to pick a stage of the deal's pipeline)."""
    stages_ = Stage.objects.filter(pipeline_id=deal.pipeline_id)
    text = str(value).strip()
    if text.isascii() and text.isdigit() and len(text) < 19:
        return stages_.filter(pk=int(text)).first()
    return stages_.filter(code=text).first()


@router.post(
    "/deals/{deal_id}/stage-changes",
    response={201: StageChangeOut, 202: StageChangeOut},
    summary="Move a deal to another stage",
)
def request_stage_change(request, deal_id: int, payload: StageChangeIn):
    """Forward: every exit criterion of the stages left must be met (evidence uploaded
    earlier with POST /deals/{id}/evidence counts), else 422 ``criteria_unmet`` listing
    each missing one; then **201** (applied) or **202** (waiting for the manager's
    approval, who is notified). Back, to lost (with ``lost_reason``) or reopening a lost
    deal: a ``reason`` is required, applied at once (201)."""
    deal = deal_or_404(request, deal_id)
    try:
        change = stages.request_stage_change(
            actor=request.user,
            deal=deal,
            to_stage=_target(deal, payload.to_stage),
            reason=payload.reason,
            lost_reason=payload.lost_reason,
        )
    except stages.CriteriaUnmet as exc:
        return criteria_unmet(request, exc)
    except stages.AlreadyDecided as exc:
        return already_decided(request, exc)
    change = StageChange.objects.select_related(*CHANGE_RELATED).get(pk=change.pk)
    return Status(202 if change.state == ChangeState.PENDING else 201, change)


def _decide(request, change_id: int, decide):
    change = _change_or_404(request, change_id)
    try:
        decide(change)
    except stages.AlreadyDecided as exc:
        return already_decided(request, exc)
    return StageChange.objects.select_related(*CHANGE_RELATED).get(pk=change.pk)


@router.post(
    "/stage-changes/{change_id}/approve",
    response=StageChangeOut,
    summary="Approve a waiting stage change (the deal moves)",
)
def approve(request, change_id: int, payload: ApproveIn = None):
    """A manager above the deal's owner, a director or an admin (never the owner): else 403.
    Already decided (by you, another approver or a rule): 409 ``already_decided``. The
    body (an optional ``note``) may be left out."""
    note = payload.note if payload is not None else ""
    return _decide(
        request,
        change_id,
        lambda change: stages.approve(actor=request.user, change=change, note=note),
    )


@router.post(
    "/stage-changes/{change_id}/reject",
    response=StageChangeOut,
    summary="Reject a waiting stage change (with a reason)",
)
def reject(request, change_id: int, payload: RejectIn):
    return _decide(
        request,
        change_id,
        lambda change: stages.reject(actor=request.user, change=change, reason=payload.reason),
    )


@router.post(
    "/stage-changes/{change_id}/withdraw",
    response=StageChangeOut,
    summary="Withdraw your waiting stage change",
)
def withdraw(request, change_id: int):
    return _decide(
        request, change_id, lambda change: stages.withdraw(actor=request.user, change=change)
    )


# --- evidence -------------------------------------------------------------------------------
def _evidence(deal_ids):
    return Evidence.objects.filter(deal_id__in=deal_ids).select_related("stage", "created_by")


@router.get(
    "/deals/{deal_id}/evidence", response=list[EvidenceOut], summary="A deal's evidence files"
)
def list_evidence(request, deal_id: int):
    deal = deal_or_404(request, deal_id)
    return list(_evidence([deal.pk]).order_by("-created_at", "-id"))


@router.post(
    "/deals/{deal_id}/evidence",
    response={201: EvidenceOut},
    summary="Upload an evidence file",
)
def upload_evidence(
    request,
    deal_id: int,
    type: Form[str],  # noqa: A002 - the field's name in the form
    file: File[UploadedFile] = None,
    note: Form[str] = "",
):
    """multipart/form-data: ``type`` (a code of the list “evidence_type”, e.g. proposal,
    minutes, quote, demo), ``file``, optional ``note``. Refused with 422 naming the reason:
    a type Settings · Pipeline does not allow, a program or web page (whatever its name),
    a file over the size limit, an empty file."""
    deal = deal_or_404(request, deal_id)
    item = evidence_service.evidence_add(
        actor=request.user, deal=deal, type=type, upload=file, note=note
    )
    return Status(201, _evidence([deal.pk]).get(pk=item.pk))


@router.get(
    "/evidence/{evidence_id}/file",
    response={200: None},
    summary="Download an evidence file",
    openapi_extra={
        "responses": {
            200: {
                "description": "The file, as an attachment.",
                "content": {"application/octet-stream": {"schema": {"type": "string"}}},
            }
        }
    },
)
def evidence_file(request, evidence_id: int):
    """Only for those who may see the deal (404 otherwise). Always sent as a download
    (``application/octet-stream``, ``Content-Disposition: attachment``): a browser never
    renders it in the application's origin."""
    item = (
        Evidence.objects.visible_to(request.user)
        .filter(pk=evidence_id)
        .only("pk", "file", "original_name")
        .first()
    )
    if item is None:
        raise Http404
    try:
        handle = evidence_service.open_file(item)
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=item.original_name,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


__all__ = [
    "already_decided",
    "criteria_unmet",
    "deal_or_404",
    "fields_renamed",
    "reload_deal",
    "router",
    "visible_deals",
]
