"""KPI API: the growth account (K7).

- ``GET /kpi/points/balance`` (``?user_id=`` someone you see): the balance.
- ``GET /kpi/points/ledger`` (``?user_id=``, ``page``, ``page_size``): the entries, newest first.
- ``GET /kpi/points/claims`` (``?mine=true`` yours, otherwise the pending ones you may
  decide; ``page``): claims.
- ``POST /kpi/points/claims``: claim the points of a contribution (422 naming the field).
- ``POST /kpi/points/redemptions``: ask for a reward (422 when the balance is too low).
- ``POST /kpi/points/claims/{id}/decision``: approve or reject (managers of the claimant
  and configurers, never oneself: 403; a rejection without a note or a redemption beyond
  the balance: 422).
- ``POST /kpi/points/adjustments``: configurers correct a balance with a note.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router
from ninja.responses import Status

from salesops.core.pagination import paginate
from salesops.knowledge.models import KnowledgeItem

from . import permissions, points
from .models import PointClaim
from .schemas_growth import (
    BalanceOut,
    ClaimDecisionIn,
    ClaimIn,
    ClaimOut,
    ClaimPage,
    EntryPage,
    PointsAdjustIn,
    RedeemIn,
)

router = Router(tags=["kpi"])


def _account_owner(request, user_id: int | None):
    user = request.user
    if user_id is None or user_id == user.pk:
        return user
    if not permissions.can_see_user(user, user_id):
        raise Http404
    return get_object_or_404(get_user_model(), pk=user_id)


def claim_out(claim: PointClaim) -> dict:
    return {
        "id": claim.pk,
        "user_id": claim.user_id,
        "user": claim.user.label,
        "kind": claim.kind,
        "reward": claim.reward,
        "points": claim.points,
        "description": claim.description,
        "evidence_url": claim.evidence_url,
        "knowledge_item_id": claim.knowledge_item_id,
        "state": claim.state,
        "created_at": claim.created_at,
        "decided_by_id": claim.decided_by_id,
        "decided_at": claim.decided_at,
        "decision_note": claim.decision_note,
    }


@router.get("/kpi/points/balance", response=BalanceOut, summary="A growth-account balance")
def balance_get(request, user_id: int | None = None):
    owner = _account_owner(request, user_id)
    return {"user_id": owner.pk, "balance": points.balance(owner)}


@router.get("/kpi/points/ledger", response=EntryPage, summary="A growth account's ledger")
def ledger_get(request, user_id: int | None = None, page: int = 1, page_size: int | None = None):
    owner = _account_owner(request, user_id)
    return paginate(points.ledger(owner), page, page_size)


@router.get("/kpi/points/claims", response=ClaimPage, summary="Points claims")
def claims_get(request, mine: bool = False, page: int = 1, page_size: int | None = None):
    queryset = points.my_claims(request.user) if mine else points.decidable_claims(request.user)
    result = paginate(queryset.select_related("user"), page, page_size)
    result["results"] = [claim_out(c) for c in result["results"]]
    return result


@router.post("/kpi/points/claims", response={201: ClaimOut}, summary="Claim points")
def claims_post(request, payload: ClaimIn):
    item = None
    if payload.knowledge_item_id is not None:
        item = KnowledgeItem.objects.filter(pk=payload.knowledge_item_id).first()
        if item is None:
            raise ValidationError({"knowledge_item_id": _("No such knowledge item.")})
    claim = points.claim_create(
        by=request.user,
        kind=payload.kind,
        description=payload.description,
        evidence_url=payload.evidence_url,
        knowledge_item=item,
    )
    return Status(201, claim_out(claim))


@router.post("/kpi/points/redemptions", response={201: ClaimOut}, summary="Ask for a reward")
def redemptions_post(request, payload: RedeemIn):
    return Status(
        201, claim_out(points.redeem_request(by=request.user, reward_code=payload.reward))
    )


@router.post("/kpi/points/claims/{claim_id}/decision", response=ClaimOut, summary="Decide a claim")
def decision_post(request, claim_id: int, payload: ClaimDecisionIn):
    claim = get_object_or_404(PointClaim.objects.select_related("user"), pk=claim_id)
    if claim.user_id != request.user.pk and not permissions.can_see_user(
        request.user, claim.user_id
    ):
        raise Http404
    claim = points.claim_decide(
        by=request.user, claim=claim, approve=payload.approve, note=payload.note
    )
    return claim_out(claim)


@router.post("/kpi/points/adjustments", response={201: BalanceOut}, summary="Adjust a balance")
def adjustments_post(request, payload: PointsAdjustIn):
    if not permissions.can_configure(request.user):
        raise PermissionDenied(_("Only a sales-ops admin or a director adjusts points."))
    user = get_object_or_404(get_user_model(), pk=payload.user_id)
    entry = points.adjust(by=request.user, user=user, points=payload.points, note=payload.note)
    return Status(201, {"user_id": user.pk, "balance": entry.balance})
