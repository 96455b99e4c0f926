"""Activities and result tags over the API: parse → service/selector → serialise.

A linked lead, account, contact or deal the user may not see is a 404, like the activity
itself; bad input is a 422 naming the field (the project's one error shape)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.responses import Status

from salesops.core.concurrency import if_match
from salesops.core.pagination import paginate
from salesops.customers.models import Account, Contact
from salesops.leads.models import Lead
from salesops.pipeline.models import Deal

from . import selectors, services
from .models import ResultTag
from .schemas import (
    ActivityIn,
    ActivityOut,
    ActivityPage,
    CheckInIn,
    ReorderIn,
    ResultTagIn,
    ResultTagOut,
    ResultTagPatch,
)

router = Router(tags=["activities"])


class ActivityQuery(Schema):
    q: str | None = None
    kind: str | None = None
    tag: str | None = None
    effective: bool | None = None
    finished: bool | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    owner: int | None = None
    lead: int | None = None
    account: int | None = None
    deal: int | None = None
    page: int = 1
    page_size: int = 25


class TagQuery(Schema):
    include_inactive: bool = False


def _links(user, payload: ActivityIn) -> dict:
    """The linked records, each visible to ``user`` (else DoesNotExist → 404)."""
    links = {}
    if payload.lead_id is not None:
        links["lead"] = Lead.objects.visible_to(user).get(pk=payload.lead_id)
    if payload.account_id is not None:
        links["account"] = Account.objects.visible_to(user).get(pk=payload.account_id)
    if payload.contact_id is not None:
        links["contact"] = (
            Contact.objects.visible_to(user).select_related("account").get(pk=payload.contact_id)
        )
    if payload.deal_id is not None:
        links["deal"] = _deal(user, payload.deal_id)
    return links


def _deal(user, deal_id: int) -> Deal:
    """A deal ``user`` may see (another rep's is DoesNotExist → 404)."""
    return Deal.objects.visible_to(user).select_related("account").get(pk=deal_id)


def _language(request) -> str:
    return getattr(request.user, "language", "") or translation.get_language() or "zh-hans"


def _tag_out(tag: ResultTag, language: str) -> dict:
    return {
        "id": tag.pk,
        "code": tag.code,
        "label": selectors.tag_label(tag, language),
        "label_zh": tag.label_zh,
        "label_en": tag.label_en,
        "order": tag.order,
        "is_active": tag.is_active,
        "counts_as_contact": tag.counts_as_contact,
    }


@router.get(
    "/activities",
    response=ActivityPage,
    summary="Activities (mine, or my team's)",
    description="Search with q (note, lead, account or contact); filter by a custom field "
    "with cf_<key>=value (GET /custom-fields?entity=activity).",
)
def list_activities(request, query: Query[ActivityQuery]):
    data = {
        k: v
        for k, v in query.dict().items()
        if v not in (None, "") and k not in ("page", "page_size")
    }
    # Custom fields vary per installation: their cf_<key> filters come from the query
    # string rather than the schema.
    data.update({k: v for k, v in request.GET.items() if k.startswith("cf_") and v})
    fs = selectors.activity_filterset(user=request.user, data=data)
    if not fs.is_valid():
        raise ValidationError(fs.errors)
    return paginate(fs.qs, query.page, query.page_size)


@router.post(
    "/activities",
    response={201: ActivityOut},
    summary="Log an activity (finished with its result tag, or started with start=true)",
)
def create_activity(request, payload: ActivityIn):
    links = _links(request.user, payload)
    if payload.start:
        if (
            payload.tag
            or payload.ended_at
            or payload.duration_seconds is not None
            or payload.duration_source
        ):
            raise ValidationError(
                {"start": _("A started activity has no result yet; send it with its check-in.")}
            )
    elif not payload.tag:
        raise ValidationError({"tag": services.tag_required_message()})
    activity = services.activity_log(
        actor=request.user,
        kind=payload.kind,
        started_at=payload.started_at,
        ended_at=payload.ended_at,
        duration_seconds=payload.duration_seconds,
        duration_source=payload.duration_source,
        tag=payload.tag or None,
        note=payload.note,
        custom=payload.custom,
        **links,
    )
    return Status(201, selectors.activity_get(user=request.user, pk=activity.pk))


@router.get("/activities/{activity_id}", response=ActivityOut, summary="One activity")
def get_activity(request, activity_id: int):
    return selectors.activity_get(user=request.user, pk=activity_id)


@router.post(
    "/activities/{activity_id}/check-in",
    response=ActivityOut,
    summary="Finish an open activity with its result",
)
def check_in(request, activity_id: int, payload: CheckInIn):
    activity = selectors.activity_get_for_edit(user=request.user, pk=activity_id)
    services.check_in(
        actor=request.user,
        activity=activity,
        tag=payload.tag or None,
        note=payload.note,
        duration_seconds=payload.duration_seconds,
        duration_source=payload.duration_source,
        custom=payload.custom,
        deal=_deal(request.user, payload.deal_id) if payload.deal_id is not None else None,
    )
    return selectors.activity_get(user=request.user, pk=activity_id)


@router.get("/result-tags", response=list[ResultTagOut], summary="Check-in results")
def list_result_tags(request, query: Query[TagQuery]):
    tags = (
        selectors.all_tags()
        if query.include_inactive and services.can_manage_tags(request.user)
        else selectors.active_tags()
    )
    language = _language(request)
    return [_tag_out(t, language) for t in tags]


@router.post("/result-tags", response={201: ResultTagOut}, summary="Add a result (admins)")
def create_result_tag(request, payload: ResultTagIn):
    tag = services.result_tag_create(actor=request.user, **payload.dict())
    return Status(201, _tag_out(tag, _language(request)))


@router.post("/result-tags/reorder", response=list[ResultTagOut], summary="Reorder (admins)")
def reorder_result_tags(request, payload: ReorderIn):
    tags = services.result_tag_reorder(actor=request.user, codes=payload.codes)
    language = _language(request)
    return [_tag_out(t, language) for t in tags]


@router.patch("/result-tags/{tag_id}", response=ResultTagOut, summary="Change a result (admins)")
@if_match(ResultTag, "tag_id")
def update_result_tag(request, tag_id: int, payload: ResultTagPatch):
    if not services.can_manage_tags(request.user):
        raise PermissionDenied(_("Only sales-ops admins may change the result tags."))
    tag = get_object_or_404(ResultTag, pk=tag_id)
    data = payload.dict(exclude_unset=True)
    for field in ("label_zh", "label_en", "counts_as_contact", "order", "is_active"):
        if field in data and data[field] is None:
            raise ValidationError({field: _("This field cannot be empty.")})
    tag = services.result_tag_update(actor=request.user, tag=tag, **data)
    return _tag_out(tag, _language(request))
