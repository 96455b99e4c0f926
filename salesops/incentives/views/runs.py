"""Bonus runs admin (configurers): the list, "run a month" (a Huey task with a polled
progress bar), a run's summary and lines by kind, and the month's replay ("same" or the
differences)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salesops.core import clock

from .. import monthend, permissions, tasks
from ..models import BonusRun, LedgerLine, LineKind, RunState

LINE_KINDS = dict(LineKind.choices)


def _require(user) -> None:
    if not permissions.can_configure(user):
        raise PermissionDenied(_("Only a sales-ops admin or a director runs the bonuses."))


def _page(request, qs):
    paginator = Paginator(qs, settings.SALESOPS["PAGE_SIZE"])
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    return page


def _last_month() -> str:
    return f"{clock.today().replace(day=1) - dt.timedelta(days=1):%Y-%m}"


@login_required
@require_GET
def run_list(request):
    _require(request.user)
    query = request.GET.get("q", "").strip()[:7]
    state = request.GET.get("state", "")[:10]
    qs = BonusRun.objects.select_related("started_by").order_by("-period", "-started_at", "-pk")
    if query:
        try:
            qs = qs.filter(period=tasks.parse_month(query))
        except ValidationError:
            qs = qs.none()
            messages.error(request, _("Enter a month as YYYY-MM, e.g. 2026-11."))
    if state:
        qs = qs.filter(state=state)
    page = _page(request, qs)
    context = {
        "page_obj": page,
        "rows": page.object_list,
        "query": query,
        "state": state,
        "states": RunState.choices,
        "default_month": _last_month(),
    }
    return render(request, "incentives/runs/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def run_start(request):
    _require(request.user)
    month_text = (request.POST.get("month") or request.GET.get("month") or _last_month())[:7]
    errors = []
    if request.method == "POST":
        try:
            month = tasks.parse_month(month_text)
            task_id = tasks.enqueue(by=request.user, month=month)
        except ValidationError as exc:
            errors = exc.messages
        else:
            url = reverse("incentives:run_progress", kwargs={"task_id": task_id})
            return redirect(f"{url}?{urlencode({'month': month_text})}")
    status = 422 if errors else 200
    return render(
        request,
        "incentives/runs/start.html",
        {"month": month_text, "errors": errors},
        status=status,
    )


def _status_context(request, task_id: str) -> dict:
    month_text = request.GET.get("month", "")[:7]
    month = tasks.parse_month(month_text)
    return {
        "task_id": task_id[:64],
        "month": month_text,
        "status": tasks.run_status(task_id[:64], month),
        "query": urlencode({"month": month_text}),
    }


@login_required
@require_GET
def run_progress(request, task_id: str):
    """The progress page; its bar polls :func:`run_progress_status` until done."""
    _require(request.user)
    try:
        context = _status_context(request, task_id)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("incentives:run_list")
    return render(request, "incentives/runs/progress.html", context)


@login_required
@require_GET
def run_progress_status(request, task_id: str):
    _require(request.user)
    try:
        context = _status_context(request, task_id)
    except ValidationError:
        return render(request, "incentives/runs/_status.html", {"status": None}, status=404)
    return render(request, "incentives/runs/_status.html", context)


def line_url(pk: int) -> str:
    """The line's "why" page (statements area)."""
    return reverse("incentives:line", args=[pk])


def _detail(request, run: BonusRun, replay=None):
    kind = request.GET.get("kind", "")[:20]
    qs = LedgerLine.objects.filter(run=run).select_related("rep", "contract")
    if kind:
        qs = qs.filter(kind=kind)
    page = _page(request, qs.order_by("kind", "rep_id", "pk"))
    rows = [{"line": line, "url": line_url(line.pk)} for line in page.object_list]
    kinds = [
        {
            "code": code,
            "label": LINE_KINDS.get(code, code),
            "count": entry.get("count", 0),
            "new": entry.get("new", 0),
            "amount": entry.get("amount", "0.00"),
        }
        for code, entry in (run.summary.get("kinds") or {}).items()
    ]
    chart = {
        "labels": [k["label"] for k in kinds],
        "values": [k["amount"] for k in kinds],
        "axis": _("Amount (¥)"),
    }
    context = {
        "run": run,
        "page_obj": page,
        "rows": rows,
        "kinds": kinds,
        "kind": kind,
        "chart": chart if kinds else None,
        "replay": replay,
    }
    return render(request, "incentives/runs/detail.html", context)


@login_required
@require_GET
def run_detail(request, pk: int):
    _require(request.user)
    run = get_object_or_404(BonusRun.objects.select_related("started_by"), pk=pk)
    return _detail(request, run)


@login_required
@require_POST
def run_replay(request, pk: int):
    _require(request.user)
    run = get_object_or_404(BonusRun.objects.select_related("started_by"), pk=pk)
    try:
        differences = monthend.replay(run.period)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        differences = None
    replay = None if differences is None else {"same": not differences, "differences": differences}
    return _detail(request, run, replay)
