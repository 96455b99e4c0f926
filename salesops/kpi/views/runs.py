"""Score runs admin (configurers): the list, "run period" (a Huey task with a polled
progress bar), a run's scores and its replay ("identical" or the differences)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import runs, schemes, tasks
from ..forms_schemes import RunForm
from ..models import RunState, Scheme, ScoreRun


def _page(request, qs):
    paginator = Paginator(qs, settings.SALESOPS["PAGE_SIZE"])
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    return page


@login_required
@require_GET
def run_list(request):
    schemes.require_configurer(request.user)
    query = request.GET.get("q", "").strip()[:200]
    state = request.GET.get("state", "")[:10]
    qs = ScoreRun.objects.select_related("scheme", "version").order_by("-period_start", "scheme")
    if query:
        qs = qs.filter(scheme__name__icontains=query)
    if state:
        qs = qs.filter(state=state)
    page = _page(request, qs)
    context = {
        "page_obj": page,
        "rows": page.object_list,
        "query": query,
        "state": state,
        "states": RunState.choices,
        "form": RunForm(),
    }
    return render(request, "kpi/runs/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def run_start(request):
    schemes.require_configurer(request.user)
    form = RunForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        scheme = form.cleaned_data["scheme"]
        month = form.cleaned_data["month"]
        try:
            start, end = schemes.parse_month(month)
            task_id = tasks.period_run_enqueue(by=request.user, scheme=scheme, start=start, end=end)
        except ValidationError as exc:
            for key, texts in exc.message_dict.items():
                form.add_error("month" if key in ("month", "period") else None, texts)
        else:
            url = reverse("kpi:run_progress", kwargs={"task_id": task_id})
            return redirect(f"{url}?{urlencode({'scheme': scheme.pk, 'month': month})}")
    return render(request, "kpi/runs/start.html", {"form": form})


def _status_args(request):
    scheme = get_object_or_404(Scheme, pk=_int(request.GET.get("scheme")))
    month = request.GET.get("month", "")[:7]
    start, end = schemes.parse_month(month)
    return scheme, month, start, end


def _int(value) -> int:
    return int(value) if str(value or "").isdigit() and len(str(value)) < 18 else 0


@login_required
@require_GET
def run_progress(request, task_id: str):
    """The progress page; its bar polls :func:`run_status` until the run is done."""
    schemes.require_configurer(request.user)
    try:
        scheme, month, start, end = _status_args(request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("kpi:run_list")
    context = {
        "task_id": task_id[:64],
        "scheme": scheme,
        "month": month,
        "start": start,
        "end": end,
        "status": tasks.run_status(task_id[:64], scheme, start, end),
        "query": urlencode({"scheme": scheme.pk, "month": month}),
    }
    return render(request, "kpi/runs/progress.html", context)


@login_required
@require_GET
def run_status(request, task_id: str):
    schemes.require_configurer(request.user)
    try:
        scheme, month, start, end = _status_args(request)
    except ValidationError:
        return render(request, "kpi/runs/_status.html", {"status": None}, status=404)
    context = {
        "task_id": task_id[:64],
        "status": tasks.run_status(task_id[:64], scheme, start, end),
        "query": urlencode({"scheme": scheme.pk, "month": month}),
    }
    return render(request, "kpi/runs/_status.html", context)


@login_required
@require_GET
def run_detail(request, pk: int):
    schemes.require_configurer(request.user)
    run = get_object_or_404(ScoreRun.objects.select_related("scheme", "version"), pk=pk)
    page = _page(request, run.scores.select_related("user", "team").order_by("-score", "user_id"))
    context = {"run": run, "page_obj": page, "rows": page.object_list, "replay": None}
    return render(request, "kpi/runs/detail.html", context)


@login_required
@require_POST
def run_replay(request, pk: int):
    schemes.require_configurer(request.user)
    run = get_object_or_404(ScoreRun.objects.select_related("scheme", "version"), pk=pk)
    differences = runs.replay(run)
    page = _page(request, run.scores.select_related("user", "team").order_by("-score", "user_id"))
    context = {
        "run": run,
        "page_obj": page,
        "rows": page.object_list,
        "replay": {"identical": not differences, "differences": differences},
    }
    return render(request, "kpi/runs/detail.html", context)


urlpatterns = [
    path("runs/", run_list, name="run_list"),
    path("runs/start/", run_start, name="run_start"),
    path("runs/tasks/<str:task_id>/", run_progress, name="run_progress"),
    path("runs/tasks/<str:task_id>/status/", run_status, name="run_status"),
    path("runs/<int:pk>/", run_detail, name="run_detail"),
    path("runs/<int:pk>/replay/", run_replay, name="run_replay"),
]
