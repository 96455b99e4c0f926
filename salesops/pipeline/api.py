"""Deals and pipelines over the API (mounted at /api/v1/): parse → service/selector →
serialise. Stage changes and evidence are in :mod:`.api_moves`.

Visibility follows ``Deal.objects.visible_to``: a deal you may not see answers 404 (never
403, which would tell that it exists); a deal you may see but not change (finance,
customer success on a customer's deal) answers 403.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.responses import Status

from salesops.core.api_errors import error_response
from salesops.core.concurrency import if_match, with_etag
from salesops.core.pagination import paginate
from salesops.customers.models import Account, Contact
from salesops.leads import conversion as lead_conversion
from salesops.leads.models import Lead, LeadStatus
from salesops.org.models import User

from . import selectors, services
from .api_moves import deal_or_404, fields_renamed, reload_deal, visible_deals
from .api_moves import router as moves_router
from .filters import DealFilterSet
from .models import Deal, Pipeline, Stage
from .schemas import (
    DealFromLeadIn,
    DealIn,
    DealOut,
    DealPage,
    DealPatch,
    DealReassignIn,
    PipelineOut,
)

router = Router(tags=["deals"])

# PATCH fields whose column is NOT NULL: null is refused, not stored.
NOT_NULL = (
    "name",
    "account_id",
    "owner_id",
    "amount",
    "commit_category",
    "need_confirmed",
    "budget_confirmed",
    "decision_maker_identified",
)


def _lookup(model, pk, field: str, message: str):
    if pk is None:
        return None
    record = model.objects.filter(pk=pk).first()
    if record is None:
        raise ValidationError({field: [message % {"id": pk}]})
    return record


def _relations(payload: Schema, *, partial: bool) -> dict:
    """The ids of the request as the records the services take; every unknown id named."""
    sent = payload.model_fields_set
    data, errors = {}, {}
    lookups = (
        ("account_id", "account", Account, _("No account with id %(id)s that you can see.")),
        ("owner_id", "owner", User, _("No user with id %(id)s: pick a rep of your team.")),
        ("pipeline_id", "pipeline", Pipeline, _("No pipeline with id %(id)s.")),
        ("stage_id", "stage", Stage, _("No stage with id %(id)s.")),
    )
    for field, key, model, message in lookups:
        if field not in type(payload).model_fields or (partial and field not in sent):
            continue
        try:
            record = _lookup(model, getattr(payload, field), field, message)
        except ValidationError as exc:
            errors.update(exc.message_dict)
            continue
        if record is not None:
            data[key] = record
    ids = getattr(payload, "contact_ids", None)
    if ids is not None and (not partial or "contact_ids" in sent):
        found = {c.pk: c for c in Contact.objects.filter(pk__in=ids)}
        unknown = [str(pk) for pk in ids if pk not in found]
        if unknown:
            errors["contact_ids"] = [
                _("No contact with id %(ids)s: pick contacts of the deal's account.")
                % {"ids": ", ".join(unknown)}
            ]
        data["contacts"] = [found[pk] for pk in dict.fromkeys(ids) if pk in found]
    if errors:
        raise ValidationError(errors)
    if "stage" in data and "pipeline" not in data and not partial:
        data["pipeline"] = data["stage"].pipeline
    return data


# --- pipelines ------------------------------------------------------------------------------
def _pipelines():
    return Pipeline.objects.prefetch_related("stages").order_by("order", "id")


@router.get("/pipelines", response=list[PipelineOut], summary="List pipelines")
def list_pipelines(request, active: bool | None = None):
    """Every pipeline with its stages (probabilities, stall days, exit criteria, whether a
    manager approves the move out). ``active=true``: only those new deals may use."""
    pipelines = _pipelines()
    if active is not None:
        pipelines = pipelines.filter(is_active=active)
    return list(pipelines)


@router.get("/pipelines/{pipeline_id}", response=PipelineOut, summary="Get a pipeline")
def get_pipeline(request, pipeline_id: int):
    return _pipelines().get(pk=pipeline_id)


# --- deals: list and create -----------------------------------------------------------------
class DealQuery(Schema):
    q: str | None = None
    pipeline: int | None = None
    stage: int | None = None
    status: str | None = None
    owner: int | None = None
    team: int | None = None
    account: int | None = None
    product_line: str | None = None
    commit_category: str | None = None
    qualified: bool | None = None
    stalled: bool | None = None
    close_after: str | None = None
    close_before: str | None = None
    sort: str | None = None
    page: int = 1
    page_size: int = 25


LIST_HELP = (
    "Filters: q (deal or account name), pipeline, stage, owner, team (with its sub-teams), "
    "account (ids), status (open, won, lost), product_line, commit_category (commit, "
    "best_case, pipeline, omitted), qualified (need, budget and decision maker confirmed), "
    "stalled, close_after / close_before (YYYY-MM-DD), cf_<key> for custom fields. sort: "
    "created, amount, close or in_stage, with '-' for descending (default: newest first)."
)


@router.get("/deals", response=DealPage, summary="List deals", description=LIST_HELP)
def list_deals(request, query: Query[DealQuery]):
    data = {
        k: v
        for k, v in query.dict().items()
        if v not in (None, "") and k not in ("page", "page_size")
    }
    data.update({k: v for k, v in request.GET.items() if k.startswith("cf_") and v})
    filterset = DealFilterSet(data, queryset=visible_deals(request.user))
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    queryset = filterset.qs
    if not query.sort:
        queryset = queryset.order_by("-created_at", "-id")
    return paginate(queryset, query.page, query.page_size)


@router.post("/deals", response={201: DealOut}, summary="Open a deal")
def create_deal(request, payload: DealIn):
    """On an account you can see; owner, pipeline and stage default as described. A read-only
    role gets 403."""
    relations = _relations(payload, partial=False)
    data = payload.dict(
        exclude={"account_id", "owner_id", "pipeline_id", "stage_id", "contact_ids", "custom"}
    )
    account = relations.pop("account")
    with fields_renamed():
        deal = services.deal_create(
            actor=request.user, account=account, custom=payload.custom, **relations, **data
        )
    return Status(201, reload_deal(deal))


@router.post(
    "/deals/from-lead",
    response={201: DealOut},
    summary="Open a deal from a lead",
    description="Converts the lead first when it is not yet (account and contact), then opens "
    "a deal on its account with its contact in the decision chain; if the deal cannot be "
    "opened (a bad field: 422 naming it) the conversion is undone too. A lead that matches a "
    "customer you may not change cannot be converted by you: 409 ``held_for_review``, the "
    "lead now waits for your manager's review (who is told) and no deal is opened. A lead "
    "that already has a deal: 422 on lead_id naming it.",
)
def deal_from_lead(request, payload: DealFromLeadIn):
    lead = Lead.objects.visible_to(request.user).filter(pk=payload.lead_id).first()
    if lead is None:
        raise ValidationError({"lead_id": [_("No lead with this id that you can see.")]})
    relations = _relations(payload, partial=True)
    data = payload.dict(exclude_unset=True, exclude={"lead_id", "pipeline_id", "stage_id"})
    data = {k: v for k, v in data.items() if v is not None}
    if "stage" in relations and "pipeline" not in relations:
        relations["pipeline"] = relations["stage"].pipeline
    with transaction.atomic(), fields_renamed():
        if lead.status != LeadStatus.CONVERTED:
            with fields_renamed({"status": "lead_id"}):
                lead = lead_conversion.lead_convert(actor=request.user, lead=lead)
            if lead.status != LeadStatus.CONVERTED:  # held for review: that much is kept
                return error_response(
                    request,
                    409,
                    "held_for_review",
                    lead_conversion.needs_review_message(),
                    "lead_id",
                )
        # A refused deal raises here and takes the conversion above back with it.
        deal = services.deal_from_lead(actor=request.user, lead=lead, **relations, **data)
    return Status(201, reload_deal(deal))


# --- one deal -------------------------------------------------------------------------------
@router.get("/deals/{deal_id}", response=DealOut, summary="Get a deal")
@with_etag(Deal, "deal_id")
def get_deal(request, deal_id: int):
    return deal_or_404(request, deal_id)


@router.patch("/deals/{deal_id}", response=DealOut, summary="Change a deal")
@if_match(Deal, "deal_id")
def update_deal(request, deal_id: int, payload: DealPatch):
    """Only the fields sent change; contact_ids replaces the decision chain. The stage moves
    through POST /deals/{id}/stage-changes."""
    deal = deal_or_404(request, deal_id)
    sent = payload.model_fields_set
    nulls = [f for f in NOT_NULL if f in sent and getattr(payload, f) is None]
    if nulls:
        raise ValidationError({f: [_("This field cannot be null.")] for f in nulls})
    relations = _relations(payload, partial=True)
    data = payload.dict(
        exclude_unset=True, exclude={"account_id", "owner_id", "contact_ids", "custom"}
    )
    custom = payload.custom if "custom" in sent else None
    with fields_renamed():
        services.deal_update(actor=request.user, deal=deal, custom=custom, **relations, **data)
    return reload_deal(deal)


@router.post("/deals/{deal_id}/reassign", response=DealOut, summary="Give a deal to another owner")
def reassign_deal(request, deal_id: int, payload: DealReassignIn):
    """To an active rep or manager you may pick (your team); 403 on a deal you may only see."""
    deal = deal_or_404(request, deal_id)
    owner = _lookup(
        User, payload.owner_id, "owner_id", _("No user with id %(id)s: pick a rep of your team.")
    )
    with fields_renamed():
        services.deal_reassign(actor=request.user, deal=deal, owner=owner, reason=payload.reason)
    return reload_deal(deal)


router.add_router("", moves_router)

__all__ = ["router", "selectors"]
