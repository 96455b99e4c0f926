"""The knowledge base over the API (mounted at /api/v1/): list and search, one item,
pain-point matching and recording a use. Parse → selector/service → serialise.

An item or record the caller may not see answers 404; a bad filter, page or action 422.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.responses import Status

from salesops.core.pagination import paginate

from . import selectors, services
from .models import Channel, Kind, KnowledgeItem, KnowledgeTag
from .schemas import ItemDetailOut, ItemPage, MatchOut, UsageIn, UsageOut

router = Router(tags=["knowledge"])
MATCH_TEXT_MAX = 500
MATCH_LIMIT_MAX = 20


class KnowledgeListQuery(Schema):
    q: str = ""
    kind: str = ""
    tag: int | None = None
    channel: str = ""
    customer_type: str = ""
    page: int = 1
    page_size: int | None = None


def _records(user, *, lead_id=None, account_id=None, deal_id=None, activity_id=None) -> dict:
    from salesops.activities.models import Activity
    from salesops.customers.models import Account
    from salesops.leads.models import Lead
    from salesops.pipeline.models import Deal

    wanted = (
        ("lead", Lead, lead_id),
        ("account", Account, account_id),
        ("deal", Deal, deal_id),
        ("activity", Activity, activity_id),
    )
    return {
        name: get_object_or_404(model.objects.visible_to(user), pk=pk)
        for name, model, pk in wanted
        if pk is not None
    }


def _filters(query: KnowledgeListQuery) -> selectors.Filters:
    errors = {}
    if query.kind and query.kind not in Kind.values:
        errors["kind"] = [_("Pick one of: %(values)s.") % {"values": ", ".join(Kind.values)}]
    if query.channel and query.channel not in Channel.values:
        errors["channel"] = [_("Pick one of: %(values)s.") % {"values": ", ".join(Channel.values)}]
    if query.tag is not None and not KnowledgeTag.objects.filter(pk=query.tag).exists():
        errors["tag"] = [_("No tag with id %(id)s.") % {"id": query.tag}]
    if len(query.q) > MATCH_TEXT_MAX:
        errors["q"] = [_("At most %(limit)d characters.") % {"limit": MATCH_TEXT_MAX}]
    if errors:
        raise ValidationError(errors)
    return selectors.Filters(
        kind=query.kind, tag=query.tag, channel=query.channel, customer_type=query.customer_type
    )


@router.get("/knowledge/items", response=ItemPage, summary="List or search knowledge")
def list_items(request, query: Query[KnowledgeListQuery]):
    """Active items (editors: all), newest first; with ``q``, ranked by relevance with
    ``match_percent``. Filters: kind, tag id, channel (``any`` items always pass), customer
    type (items for every type always pass)."""
    filters = _filters(query)
    rows = selectors.search_items(request.user, query=query.q, filters=filters)
    if not query.q.strip():
        return paginate(rows, query.page, query.page_size)
    page = _page_of(rows, query.page, query.page_size)
    found = selectors.items(request.user).in_bulk([pk for pk, _pct in page["results"]])
    results = []
    for pk, percent in page["results"]:
        if pk in found:
            found[pk].match_percent = percent
            results.append(found[pk])
    if query.page == 1:
        selectors.record_search(request.user, query.q)
    return {**page, "results": results}


def _page_of(ranked: list, page: int, page_size: int | None) -> dict:
    """A page of a ranked list, with :func:`paginate`'s checks (it slices querysets)."""
    checked = paginate(KnowledgeItem.objects.none(), page, page_size)
    size = checked["page_size"]
    start = (page - 1) * size
    return {**checked, "count": len(ranked), "results": ranked[start : start + size]}


@router.get("/knowledge/items/{item_id}", response=ItemDetailOut, summary="Get a knowledge item")
def get_item(
    request,
    item_id: int,
    lead_id: int | None = None,
    account_id: int | None = None,
    deal_id: int | None = None,
):
    """One item; with ``lead_id``/``account_id``/``deal_id`` a script's placeholders are
    filled from that record (404 when you may not see it). Not recorded as a view: post
    ``viewed`` to /knowledge/usage when a person opens it."""
    item = get_object_or_404(selectors.items(request.user), pk=item_id)
    records = _records(request.user, lead_id=lead_id, account_id=account_id, deal_id=deal_id)
    item.body = services.render_item(actor=request.user, item=item, **records)
    return item


@router.get("/knowledge/match", response=list[MatchOut], summary="Match a pain point")
def match(
    request,
    text: str,
    limit: int = 5,
    lead_id: int | None = None,
    account_id: int | None = None,
    deal_id: int | None = None,
    channel: str = "",
):
    """The items that best answer ``text`` with a match percentage (BM25 over jieba
    tokens, normalised by the text's self-score). Recorded as a search."""
    errors = {}
    if not text.strip():
        errors["text"] = [_("This field is required.")]
    elif len(text) > MATCH_TEXT_MAX:
        errors["text"] = [_("At most %(limit)d characters.") % {"limit": MATCH_TEXT_MAX}]
    if not 1 <= limit <= MATCH_LIMIT_MAX:
        errors["limit"] = [_("Choose between 1 and %(max)d.") % {"max": MATCH_LIMIT_MAX}]
    if channel and channel not in Channel.values:
        errors["channel"] = [_("Pick one of: %(values)s.") % {"values": ", ".join(Channel.values)}]
    if errors:
        raise ValidationError(errors)
    records = _records(request.user, lead_id=lead_id, account_id=account_id, deal_id=deal_id)
    hits = selectors.match(text, request.user, limit, channel=channel, **records)
    selectors.record_search(request.user, text, **records)
    return [
        {
            "item": hit.item,
            "percent": hit.percent,
            "label": _("%(percent)s%% match with “%(title)s”")
            % {"percent": hit.percent, "title": hit.item.title},
            "rendered": services.render_item(actor=request.user, item=hit.item, **records),
        }
        for hit in hits
    ]


@router.post("/knowledge/usage", response={201: UsageOut}, summary="Record a use")
def record_usage(request, payload: UsageIn):
    """Viewed, copied or adopted an item (``item_id``), or searched (``query``),
    optionally for a lead, account, deal or activity you may see."""
    item = None
    if payload.item_id is not None:
        item = selectors.items(request.user).filter(pk=payload.item_id).first()
        if item is None:
            raise ValidationError(
                {"item_id": [_("No knowledge item with id %(id)s.") % {"id": payload.item_id}]}
            )
    records = _records(
        request.user,
        lead_id=payload.lead_id,
        account_id=payload.account_id,
        deal_id=payload.deal_id,
        activity_id=payload.activity_id,
    )
    usage = services.usage_record(
        actor=request.user, action=payload.action, item=item, query=payload.query, **records
    )
    return Status(201, usage)
