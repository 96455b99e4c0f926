"""The knowledge pages: the list with search and filters, an item's page (viewing it is
recorded; copy and adopt buttons), the editors' create/edit form, (de)activation and the
course file download. Thin: reads through selectors, writes through services."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salesops.core import choices
from salesops.core.exports import RowList, back_to, queryset_export_or_back
from salesops.core.forms import attach_service_errors

from .. import attachments, selectors, services
from ..forms import ItemForm, SearchForm
from ..models import Channel, Kind, KnowledgeItem, KnowledgeTag, UsageAction
from ..permissions import can_edit
from .common import context_records, item_or_404, record_query


def _page(request, rows):
    paginator = Paginator(rows, settings.SALESOPS["PAGE_SIZE"])
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    return page


def _search(request):
    """The list's form, query, whether the user edits, and the rows (ranked ids for a
    query, else the filtered queryset)."""
    form = SearchForm(request.GET)
    form.is_valid()  # an invalid filter value is dropped, the rest still applies
    data = {name: form.cleaned_data.get(name) for name in form.fields}
    tag = data.get("tag")
    filters = selectors.Filters(
        kind=data.get("kind") or "",
        tag=tag.pk if tag else None,
        channel=data.get("channel") or "",
        customer_type=data.get("customer_type") or "",
    )
    query = (data.get("q") or "").strip()
    editor = can_edit(request.user)
    rows = selectors.search_items(
        request.user, query=query, filters=filters, inactive=editor and data.get("inactive")
    )
    return form, query, editor, rows


EXPORT_COLUMNS = [
    (_l("title"), "title"),
    (_l("type"), "kind"),
    (_l("summary"), "summary"),
    (_l("channel"), "channel"),
    (_l("tags"), lambda item: "、".join(t.label for t in item.tags.all())),
    (_l("active"), "is_active"),
    (_l("author"), "author.label"),
    (_l("version"), "version"),
    (_l("updated"), "updated_at"),
]


@login_required
@require_GET
def item_export(request, fmt):
    """The list as on screen (query ranking, filters, the user's visibility)."""
    _form, query, _editor, rows = _search(request)
    if query:
        ids = [pk for pk, _percent in rows]
        found = selectors.items(request.user).prefetch_related("tags").in_bulk(ids)
        rows = RowList([found[pk] for pk in ids if pk in found], KnowledgeItem)
    else:
        rows = rows.prefetch_related("tags")
    back = back_to(request, "knowledge:list")
    return queryset_export_or_back(request, rows, EXPORT_COLUMNS, fmt, "knowledge", back)


@login_required
@require_GET
def item_list(request):
    """Everyone's knowledge list: a query ranks by relevance (with the match
    percentage); the filters narrow by type, tag, channel and customer type."""
    form, query, editor, rows = _search(request)
    page = _page(request, rows)
    if query:
        percents = dict(page.object_list)
        found = selectors.items(request.user).in_bulk(list(percents))
        page.object_list = [(found[pk], percents[pk]) for pk in percents if pk in found]
        if page.number == 1:
            selectors.record_search(request.user, query)
    else:
        page.object_list = [(item, None) for item in page.object_list]
    current = {name: request.GET.get(name, "") for name in form.fields}
    context = {
        "page_obj": page,
        "rows": page.object_list,
        "query": query,
        "current": current,
        "filtered": any(current.values()),
        "kinds": Kind.choices,
        "channels": Channel.choices,
        "tags": [(t.pk, t.label) for t in KnowledgeTag.objects.all()],
        "customer_types": choices.all_choices(choices.INDUSTRY),
        "can_edit": editor,
    }
    return render(request, "knowledge/item_list.html", context)


@login_required
@require_GET
def item_detail(request, pk: int):
    """An item, with a script's placeholders filled from ``?lead=``/``?account=``/
    ``?deal=`` when given. Opening it is recorded as *viewed*."""
    item = item_or_404(request, pk)
    records = context_records(request)
    rendered = services.render_item(actor=request.user, item=item, **records)
    services.usage_record(actor=request.user, action=UsageAction.VIEWED, item=item, **records)
    context = {
        "item": item,
        "rendered": rendered,
        "records": records,
        "record_query": record_query(records),
        "industries": [choices.label(choices.INDUSTRY, c) for c in item.customer_types],
        "can_edit": can_edit(request.user),
        "counts": selectors.usage_counts(item) if can_edit(request.user) else None,
    }
    return render(request, "knowledge/item_detail.html", context)


def _save(request, item: KnowledgeItem | None):
    if not can_edit(request.user):
        raise PermissionDenied(_("Only sales-ops admins, directors and managers edit knowledge."))
    form = ItemForm(request.POST or None, request.FILES or None, instance=item)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        try:
            with transaction.atomic():
                if item is None:
                    item = services.item_create(actor=request.user, **data)
                else:
                    item = services.item_update(actor=request.user, item=item, **data)
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            messages.success(request, _("Saved “%(title)s”.") % {"title": item.title})
            return redirect(item.get_absolute_url())
    context = {
        "form": form,
        "item": item,
        "max_mb": attachments.max_mb(),
        "cancel_url": item.get_absolute_url() if item else reverse("knowledge:list"),
    }
    return render(request, "knowledge/item_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def item_create(request):
    return _save(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def item_edit(request, pk: int):
    return _save(request, item_or_404(request, pk))


@login_required
@require_POST
def item_set_active(request, pk: int):
    item = item_or_404(request, pk)
    active = request.POST.get("active") == "1"
    services.item_set_active(actor=request.user, item=item, active=active)
    messages.success(request, _("Reactivated.") if active else _("Deactivated."))
    return redirect(item.get_absolute_url())


@login_required
@require_GET
def attachment_download(request, pk: int):
    item = item_or_404(request, pk)
    if not item.attachment:
        raise Http404(_("This item has no file."))
    try:
        handle = item.attachment.open("rb")
    except FileNotFoundError:
        raise Http404(_("The file is missing from the store.")) from None
    response = FileResponse(
        handle, as_attachment=True, filename=item.attachment_name or item.attachment.name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path("", item_list, name="list"),
    path("export.<str:fmt>", item_export, name="export"),
    path("new/", item_create, name="create"),
    path("<int:pk>/", item_detail, name="detail"),
    path("<int:pk>/edit/", item_edit, name="edit"),
    path("<int:pk>/active/", item_set_active, name="set_active"),
    path("<int:pk>/file/", attachment_download, name="file"),
]
