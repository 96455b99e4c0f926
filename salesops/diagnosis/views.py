"""The diagnosis pages: the twelve tiles, a check's records (with export), the printable
report, the run button and Settings · Diagnosis. Thin: scope → selector/service → page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from salesops.core.exports import RowList, queryset_export_or_back
from salesops.core.history import history_entries
from salesops.core.pagination import TwoStepPaginator

from . import checks, outcomes_link, selectors, services, tasks
from .forms import PolicyForm
from .models import POLICY_LIMITS, DiagnosisPolicy
from .scope import scope_choices, scope_for

SEARCH_MAX = 100
# A records page counts at most this many records ("1,000+"): the tile above it has the
# exact figures, and counting every unbacked move or late lead of a large organisation
# takes seconds (bench/outcomes.py).
RECORDS_COUNT_CAP = 1_000


def _scope(request, source=None):
    source = source if source is not None else request.GET
    return scope_for(request.user, team=source.get("team"), rep=source.get("rep"))


def _ctx():
    policy = DiagnosisPolicy.current()
    return checks.Context.from_policy(policy, thresholds=services.thresholds(policy))


def _url(name: str, scope, *args, **extra) -> str:
    query = "&".join(p for p in [scope.query, *(f"{k}={v}" for k, v in extra.items())] if p)
    return reverse(name, args=args) + (f"?{query}" if query else "")


@login_required
def index(request):
    scope = _scope(request)
    current, previous = selectors.current_and_previous(scope)
    context = {
        "scope": scope,
        "choices": scope_choices(request.user),
        "current": current,
        "previous": previous,
        "running": selectors.running(scope),
        "tiles": selectors.tiles(current, previous, _ctx()),
        "report_url": _url("diagnosis:report", scope),
        "scope_query": scope.query,
        "guard": outcomes_link.placeholder_guard(scope, request.user),
    }
    return render(request, "diagnosis/index.html", context)


@login_required
@require_POST
def run(request):
    scope = _scope(request, request.POST)
    if selectors.running(scope) is None:
        created = services.run_create(scope=scope, actor=request.user)
        tasks.run_task(created.pk)
        messages.success(request, _("The diagnosis is running; the page shows it when done."))
    return redirect(_url("diagnosis:index", scope))


@login_required
def status(request):
    """The progress of a running diagnosis (polled by the page); done → the page reloads."""
    scope = _scope(request)
    active = selectors.running(scope)
    response = render(request, "diagnosis/_status.html", {"running": active})
    if active is None:
        response["HX-Refresh"] = "true"
    return response


def _check(code: str) -> checks.Check:
    check = checks.get(code)
    if check is None:
        raise Http404(_("Unknown check."))
    return check


def _records(request, check, scope):
    ctx = _ctx()
    rows = check.records(scope, ctx)
    query = (request.GET.get("q") or "").strip()[:SEARCH_MAX].replace("\x00", "")
    if query:
        if isinstance(rows, RowList):
            needle = query.lower()
            rows = RowList(
                [r for r in rows.rows if any(needle in str(v).lower() for v in r.values())]
            )
        elif check.search_fields:
            condition = Q()
            for name in check.search_fields:
                condition |= Q(**{f"{name}__icontains": query})
            rows = rows.filter(condition)
    return rows, query, ctx


@login_required
def records(request, code: str):
    check = _check(code)
    scope = _scope(request)
    rows, query, ctx = _records(request, check, scope)
    if isinstance(rows, RowList):
        paginator = Paginator(rows.rows, settings.SALESOPS["PAGE_SIZE"])
    else:
        cap = min(RECORDS_COUNT_CAP, settings.SALESOPS["LIST_COUNT_CAP"])
        paginator = TwoStepPaginator(rows, settings.SALESOPS["PAGE_SIZE"], cap=cap)
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    table = [
        {
            "cells": [
                checks.base.column_value(row, accessor, rows) for _h, accessor in check.columns
            ],
            "url": check.record_url(row),
        }
        for row in page.object_list
    ]
    current, previous = selectors.current_and_previous(scope)
    tile = selectors.tiles(current, previous, ctx)[checks.CHECKS.index(check)]
    context = {
        "check": check,
        "tile": tile,
        "scope": scope,
        "headers": [header for header, _a in check.columns],
        "table": table,
        "page_obj": page,
        "q": query,
        "export_csv": _url("diagnosis:records_export", scope, check.code, "csv", q=query)
        if query
        else _url("diagnosis:records_export", scope, check.code, "csv"),
        "export_xlsx": _url("diagnosis:records_export", scope, check.code, "xlsx", q=query)
        if query
        else _url("diagnosis:records_export", scope, check.code, "xlsx"),
        "back_url": _url("diagnosis:index", scope),
        "scope_query": scope.query,
    }
    return render(request, "diagnosis/records.html", context)


@login_required
def records_export(request, code: str, fmt: str):
    check = _check(code)
    scope = _scope(request)
    rows, _query, _ctx_used = _records(request, check, scope)
    back = _url("diagnosis:records", scope, check.code)
    return queryset_export_or_back(
        request, rows, check.columns, fmt, f"diagnosis-{check.code}", back
    )


@login_required
def report(request):
    scope = _scope(request)
    current, previous = selectors.current_and_previous(scope, request.GET.get("run"))
    context = {
        "scope": scope,
        "current": current,
        "previous": previous,
        "tiles": selectors.tiles(current, previous, _ctx()),
        "back_url": _url("diagnosis:index", scope),
        "guard": outcomes_link.placeholder_guard(scope, request.user),
    }
    return render(request, "diagnosis/report.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def policy(request):
    if not services.can_configure(request.user):
        raise PermissionDenied(_("Only a sales-ops admin or a director changes these settings."))
    current = DiagnosisPolicy.current()
    limits = services.thresholds(current)
    initial = {name: getattr(current, name) for name in (*POLICY_LIMITS, "weekly_run")}
    for code, (green, amber) in limits.items():
        initial[f"{code}_green"], initial[f"{code}_amber"] = green, amber
    form = PolicyForm(request.POST or None, initial=initial)
    status_code = 200
    if request.method == "POST":
        status_code = 422
        if form.is_valid():
            try:
                services.policy_save(actor=request.user, data=form.cleaned_data)
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(name if name in form.fields else None, error)
            else:
                messages.success(request, _("Diagnosis settings saved; they apply at once."))
                return redirect("diagnosis:policy")
    context = {"form": form, "entries": history_entries(current) if current.pk else []}
    return render(request, "diagnosis/policy.html", context, status=status_code)
