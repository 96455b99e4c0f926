"""The pain-point matching fragment (htmx) and the usage buttons (copy, adopt).

``GET /knowledge/match/?text=…&lead=…|account=…|deal=…`` answers the best items as HTML:
the check-in form calls it a moment after the rep stops typing the note, or picks a visit
(then the lead's recorded need is the text when the note is empty). ``note`` is accepted
for ``text`` so the form's own field can be sent as it is."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from .. import selectors, services
from ..models import UsageAction
from .common import context_records, item_or_404, record_query

TEXT_MAX = 500
LIMIT = 5


def _text(request, records) -> str:
    text = (request.GET.get("text") or request.GET.get("note") or "").strip()
    if not text and request.GET.get("kind") == "visit" and "lead" in records:
        text = records["lead"].need or ""
    return text[:TEXT_MAX]


@login_required
@require_GET
def match_fragment(request):
    records = context_records(request)
    text = _text(request, records)
    hits = []
    if text:
        hits = selectors.match(text, request.user, LIMIT, **records)
        selectors.record_search(request.user, text, **records)
        for hit in hits:
            hit.rendered = services.render_item(actor=request.user, item=hit.item, **records)
    context = {"hits": hits, "text": text, "record_query": record_query(records)}
    return render(request, "knowledge/_match.html", context)


@login_required
@require_POST
def usage(request, pk: int):
    """Record a copy or an adoption (the buttons post here; 204 for htmx)."""
    item = item_or_404(request, pk)
    records = context_records(request)
    action = request.POST.get("action", "")
    if action not in (UsageAction.COPIED, UsageAction.ADOPTED):
        return HttpResponseBadRequest("action")
    try:
        services.usage_record(actor=request.user, action=action, item=item, **records)
    except ValidationError as exc:
        return HttpResponseBadRequest("; ".join(exc.messages))
    if request.headers.get("HX-Request"):
        return render(request, "knowledge/_usage_done.html", {"action": action})
    return HttpResponse(status=204)


urlpatterns = [
    path("match/", match_fragment, name="match"),
    path("<int:pk>/usage/", usage, name="usage"),
]
