"""The metric library pages (configurers): list with search, filters, pagination and
export; create/edit with the chosen source's fields as help; "try it" on last month."""

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

from salesops.core.exports import ExportTooLarge, export_response
from salesops.core.history import history_entries

from .. import metric_library
from ..forms_schemes import MetricForm
from ..models import Metric, MetricGroup, MetricKind
from ..schemes import last_month

FILTERS = ("q", "source", "kind", "group", "active")
EXPORT_COLUMNS = [
    (_("code"), "code"),
    (_("name (Chinese)"), "name_zh"),
    (_("name (English)"), "name_en"),
    (_("kind"), "kind"),
    (_("source"), "source"),
    (_("filter"), "filter"),
    (_("aggregate"), "aggregate"),
    (_("value field"), "field"),
    (_("date field"), "date_field"),
    (_("formula"), "formula"),
    (_("unit"), "unit"),
    (_("higher is better"), "higher_is_better"),
    (_("built in"), "is_builtin"),
    (_("active"), "is_active"),
]


@login_required
@require_GET
def metric_list(request):
    metric_library.require_configurer(request.user)
    current = {name: request.GET.get(name, "").strip()[:200] for name in FILTERS}
    qs = metric_library.metrics_list(**current)
    fmt = request.GET.get("export")
    if fmt:
        try:
            return export_response(qs, EXPORT_COLUMNS, fmt, "kpi-metrics")
        except ExportTooLarge as exc:
            messages.error(request, " ".join(exc.messages))
    paginator = Paginator(qs, settings.SALESOPS["PAGE_SIZE"])
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    context = {
        "page_obj": page,
        "rows": page.object_list,
        "current": current,
        "filtered": any(current.values()),
        "sources": metric_library.source_choices(),
        "kinds": MetricKind.choices,
        "groups": [*MetricGroup.choices, ("unused", _("Not in any scheme"))],
    }
    return render(request, "kpi/metrics/list.html", context)


def _form_page(request, form, metric=None):
    source = form["source"].value() or (metric.source if metric else "")
    context = {
        "form": form,
        "metric": metric,
        "source_help": metric_library.source_help(source) if source else None,
        "entries": history_entries(metric) if metric else [],
        "used": metric_library.is_used(metric) if metric else False,
    }
    return render(request, "kpi/metrics/form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def metric_create(request):
    metric_library.require_configurer(request.user)
    form = MetricForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            metric = metric_library.metric_create(by=request.user, data=form.service_data())
        except ValidationError as exc:
            form.attach_errors(exc.message_dict)
        else:
            messages.success(request, _("Metric “%(code)s” added.") % {"code": metric.code})
            return redirect("kpi:metric_edit", pk=metric.pk)
    return _form_page(request, form)


@login_required
@require_http_methods(["GET", "POST"])
def metric_edit(request, pk: int):
    metric_library.require_configurer(request.user)
    metric = get_object_or_404(Metric, pk=pk)
    form = MetricForm(request.POST or None, instance=metric)
    if request.method == "POST" and form.is_valid():
        try:
            metric = metric_library.metric_update(
                by=request.user, metric=metric, data=form.service_data()
            )
        except ValidationError as exc:
            form.attach_errors(exc.message_dict)
        else:
            messages.success(
                request,
                _("Metric saved. Saved scheme versions keep the definition they were saved with."),
            )
            return redirect("kpi:metric_edit", pk=metric.pk)
    return _form_page(request, form, metric)


@login_required
@require_POST
def metric_delete(request, pk: int):
    metric_library.require_configurer(request.user)
    metric = get_object_or_404(Metric, pk=pk)
    try:
        metric_library.metric_delete(by=request.user, metric=metric)
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return redirect("kpi:metric_edit", pk=metric.pk)
    messages.success(request, _("Metric deleted."))
    return redirect("kpi:metric_list")


@login_required
@require_GET
def metric_source(request):
    """The htmx partial with a source's fields, kinds and codes (the form's help)."""
    metric_library.require_configurer(request.user)
    code = request.GET.get("source", "")[:60]
    help_ = metric_library.source_help(code) if code else None
    return render(request, "kpi/metrics/_source_help.html", {"source_help": help_})


@login_required
@require_GET
def metric_try(request, pk: int):
    """The htmx partial: this metric's value for each rep last month."""
    metric_library.require_configurer(request.user)
    metric = get_object_or_404(Metric, pk=pk)
    start, end = last_month()
    try:
        values = metric_library.metric_try(by=request.user, metric=metric, start=start, end=end)
        error = ""
    except (ValidationError, ValueError) as exc:
        values, error = [], " ".join(getattr(exc, "messages", [str(exc)]))
    context = {"metric": metric, "values": values, "start": start, "end": end, "error": error}
    return render(request, "kpi/metrics/_try.html", context)


urlpatterns = [
    path("metrics/", metric_list, name="metric_list"),
    path("metrics/new/", metric_create, name="metric_create"),
    path("metrics/source-help/", metric_source, name="metric_source"),
    path("metrics/<int:pk>/", metric_edit, name="metric_edit"),
    path("metrics/<int:pk>/delete/", metric_delete, name="metric_delete"),
    path("metrics/<int:pk>/try/", metric_try, name="metric_try"),
]
