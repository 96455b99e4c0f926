"""What the knowledge pages share: the lead/account/deal a page is about, read from the
query string and checked against the user's visibility (404 otherwise)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from salesops.customers.models import Account
from salesops.leads.models import Lead
from salesops.pipeline.models import Deal

from ..models import KnowledgeItem

MODELS = (("lead", Lead), ("account", Account), ("deal", Deal))


def _pk(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


def context_records(request, data=None) -> dict:
    """``?lead=`` / ``?account=`` / ``?deal=`` as visible records; a malformed or
    invisible id is a 404 (never telling whether the record exists)."""
    data = request.GET if data is None else data
    records = {}
    for name, model in MODELS:
        raw = data.get(name)
        if not raw:
            continue
        pk = _pk(raw)
        if pk is None:
            raise Http404(_("No such record, or you may not open it."))
        records[name] = get_object_or_404(model.objects.visible_to(request.user), pk=pk)
    return records


def record_query(records: dict) -> str:
    """``lead=3`` (etc.) to carry the records over to a linked page."""
    return "&".join(f"{name}={record.pk}" for name, record in records.items())


def item_or_404(request, pk: int) -> KnowledgeItem:
    return get_object_or_404(
        KnowledgeItem.objects.visible_to(request.user).prefetch_related("tags"), pk=pk
    )
