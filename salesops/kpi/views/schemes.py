"""Scheme pages (configurers): the list, a scheme with its versions and what each changed,
the editor of a new version (rows added/removed by kpi/schemes.js, **Preview** on last
month through htmx, **Save**) and a read-only version page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salesops.core import clock

from .. import schemes
from ..forms_schemes import SchemeForm, VersionForm, editor_choices, parse_items
from ..models import KpiPolicy, Scheme, SchemeVersion


@login_required
@require_GET
def scheme_list(request):
    schemes.require_configurer(request.user)
    query = request.GET.get("q", "").strip()[:200]
    active = request.GET.get("active", "")[:3]
    paginator = Paginator(
        schemes.schemes_list(q=query, active=active), settings.SALESOPS["PAGE_SIZE"]
    )
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    context = {"page_obj": page, "rows": page.object_list, "query": query, "active": active}
    return render(request, "kpi/schemes/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def scheme_create(request):
    schemes.require_configurer(request.user)
    form = SchemeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            scheme = schemes.scheme_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.attach_errors(exc.message_dict)
        else:
            messages.success(request, _("Scheme added. Save its first version now."))
            return redirect("kpi:version_new", pk=scheme.pk)
    return render(request, "kpi/schemes/create.html", {"form": form})


@login_required
@require_GET
def scheme_detail(request, pk: int):
    schemes.require_configurer(request.user)
    scheme = get_object_or_404(Scheme.objects.select_related("team"), pk=pk)
    versions = list(scheme.versions.select_related("created_by").order_by("-number"))
    rows = [{"version": v, "changes": schemes.version_changes(v)} for v in versions]
    context = {"scheme": scheme, "rows": rows, "today": clock.today()}
    return render(request, "kpi/schemes/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def version_new(request, pk: int):
    """The editor: a new version, starting from the latest one (or the policy's weights)."""
    schemes.require_configurer(request.user)
    scheme = get_object_or_404(Scheme, pk=pk)
    latest = schemes.latest_version(scheme)
    policy = KpiPolicy.current()
    source = latest or policy
    initial = {
        "effective_from": clock.today(),
        "result_weight": source.result_weight,
        "process_weight": source.process_weight,
        "quality_weight": source.quality_weight,
    }
    form = VersionForm(request.POST or None, initial=initial, scheme=scheme)
    rows = form.rows if form.is_bound else schemes.item_rows(latest)
    if request.method == "POST" and form.is_valid():
        try:
            version = schemes.scheme_save_version(
                by=request.user, scheme=scheme, **form.service_data()
            )
        except ValidationError as exc:
            form.attach_errors(exc.message_dict)
        else:
            messages.success(
                request,
                _("Version %(n)d saved, in force from %(day)s.")
                % {"n": version.number, "day": version.effective_from},
            )
            return redirect("kpi:scheme_detail", pk=scheme.pk)
    context = {
        "scheme": scheme,
        "latest": latest,
        "form": form,
        "rows": form.row_context(rows),
        "choices": editor_choices(),
        "policy": policy,
        "period": schemes.last_month(),
    }
    return render(request, "kpi/schemes/editor.html", context)


@login_required
@require_POST
def scheme_preview(request, pk: int):
    """The htmx partial: every member's score for last month under the posted draft, or
    the problems (syntax error, unknown metric, division by zero …); nothing is saved."""
    schemes.require_configurer(request.user)
    scheme = get_object_or_404(Scheme, pk=pk)
    start, end = schemes.last_month()
    context = {"start": start, "end": end, "errors": [], "rows": []}
    try:
        start, end, results = schemes.scheme_preview(
            by=request.user,
            scheme=scheme,
            result_weight=request.POST.get("result_weight", ""),
            process_weight=request.POST.get("process_weight", ""),
            quality_weight=request.POST.get("quality_weight", ""),
            items=parse_items(request.POST),
        )
    except ValidationError as exc:
        context["errors"] = _named_errors(exc)
    else:
        context["rows"] = schemes.preview_rows(results)
        context["codes"] = (
            [i["metric"] for i in context["rows"][0]["items"]] if context["rows"] else []
        )
    return render(request, "kpi/schemes/_preview.html", context)


def _named_errors(exc: ValidationError) -> list[str]:
    """Each problem with the row it is about (``items.2.formula`` → "Row 3, formula: …")."""
    out = []
    for key, messages_ in exc.message_dict.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "items" and parts[1].isdigit():
            where = _("Row %(n)d, %(field)s") % {"n": int(parts[1]) + 1, "field": parts[2]}
        elif key in ("__all__", "preview", "items", "weights"):
            where = ""
        else:
            where = key
        out.extend(f"{where}: {m}" if where else m for m in messages_)
    return out


@login_required
@require_GET
def version_detail(request, pk: int, number: int):
    schemes.require_configurer(request.user)
    version = get_object_or_404(
        SchemeVersion.objects.select_related("scheme", "created_by"), scheme_id=pk, number=number
    )
    context = {
        "scheme": version.scheme,
        "version": version,
        "items": schemes.version_items(version),
        "changes": schemes.version_changes(version),
    }
    return render(request, "kpi/schemes/version.html", context)


urlpatterns = [
    path("schemes/", scheme_list, name="scheme_list"),
    path("schemes/new/", scheme_create, name="scheme_create"),
    path("schemes/<int:pk>/", scheme_detail, name="scheme_detail"),
    path("schemes/<int:pk>/versions/new/", version_new, name="version_new"),
    path("schemes/<int:pk>/preview/", scheme_preview, name="scheme_preview"),
    path("schemes/<int:pk>/versions/<int:number>/", version_detail, name="version_detail"),
]
