"""Settings · Pipelines (D1, P2): pipelines and their stages with exit criteria, and the
pipeline policy (evidence limits, healthy-deal thresholds). Sales-ops admins and
directors only (the menu's ``configurers``); everyone else gets 403."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salesops.core.forms import attach_service_errors
from salesops.core.history import history_entries

from .. import configuration
from ..forms_configure import PipelineForm, PolicyForm, StageForm
from ..models import Pipeline, PipelinePolicy, Stage


def _require(user) -> None:
    if not configuration.can_configure(user):
        raise PermissionDenied(_("Only sales-ops admins and directors change the pipelines."))


def _save(request, form, write) -> object | None:
    """Run ``write(data)`` in one transaction with the form's version / token check;
    the service's errors land on the form. Returns the written record or None."""
    try:
        with transaction.atomic():
            form.begin(request.user)
            record = write(form.service_data())
            form.finish(record)
    except ValidationError as exc:
        attach_service_errors(form, exc)
        return None
    return record


@login_required
@require_GET
def pipeline_list(request):
    _require(request.user)
    context = {
        "rows": configuration.overview(),
        "min_open": configuration.MIN_OPEN_STAGES,
        "max_open": configuration.MAX_OPEN_STAGES,
    }
    return render(request, "pipeline/configure_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def pipeline_create(request):
    _require(request.user)
    form = PipelineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        pipeline = _save(
            request, form, lambda data: configuration.pipeline_create(actor=request.user, **data)
        )
        if pipeline is not None:
            messages.success(
                request,
                _(
                    "Pipeline “%(name)s” created with its won and lost stages. Add 5 to 7 open "
                    "stages, then switch it on."
                )
                % {"name": pipeline.name},
            )
            return redirect("pipeline:pipeline_edit", pk=pipeline.pk)
    status = 422 if form.errors else 200
    return render(request, "pipeline/configure_pipeline_form.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def pipeline_edit(request, pk):
    _require(request.user)
    pipeline = get_object_or_404(Pipeline, pk=pk)
    form = PipelineForm(request.POST or None, pipeline=pipeline)
    if request.method == "POST" and form.is_valid():
        saved = _save(
            request,
            form,
            lambda data: configuration.pipeline_update(
                actor=request.user, pipeline=pipeline, **data
            ),
        )
        if saved is not None:
            messages.success(request, _("Pipeline “%(name)s” saved.") % {"name": saved.name})
            return redirect("pipeline:pipeline_edit", pk=saved.pk)
    context = {
        "form": form,
        "pipeline": pipeline,
        "row": next(r for r in configuration.overview() if r.pipeline.pk == pipeline.pk),
        "min_open": configuration.MIN_OPEN_STAGES,
        "max_open": configuration.MAX_OPEN_STAGES,
        "entries": history_entries(pipeline),
    }
    status = 422 if form.errors else 200
    return render(request, "pipeline/configure_pipeline_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def stage_create(request, pk):
    _require(request.user)
    pipeline = get_object_or_404(Pipeline, pk=pk)
    form = StageForm(request.POST or None, initial={"probability": 10, "stall_days": 5})
    if request.method == "POST" and form.is_valid():
        stage = _save(
            request,
            form,
            lambda data: configuration.stage_create(actor=request.user, pipeline=pipeline, **data),
        )
        if stage is not None:
            messages.success(request, _("Stage “%(name)s” added.") % {"name": stage.name})
            return redirect("pipeline:pipeline_edit", pk=pipeline.pk)
    context = {"form": form, "pipeline": pipeline, "stage": None}
    status = 422 if form.errors else 200
    return render(request, "pipeline/configure_stage_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def stage_edit(request, pk):
    _require(request.user)
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=pk)
    form = StageForm(request.POST or None, stage=stage)
    if request.method == "POST" and form.is_valid():
        saved = _save(
            request,
            form,
            lambda data: configuration.stage_update(actor=request.user, stage=stage, **data),
        )
        if saved is not None:
            messages.success(request, _("Stage “%(name)s” saved.") % {"name": saved.name})
            return redirect("pipeline:pipeline_edit", pk=stage.pipeline_id)
    context = {
        "form": form,
        "pipeline": stage.pipeline,
        "stage": stage,
        "delete_problem": configuration.stage_delete_problem(stage),
        "entries": history_entries(stage),
    }
    status = 422 if form.errors else 200
    return render(request, "pipeline/configure_stage_form.html", context, status=status)


@login_required
@require_POST
def stage_move(request, pk, direction):
    _require(request.user)
    stage = get_object_or_404(Stage, pk=pk)
    try:
        configuration.stage_move(actor=request.user, stage=stage, direction=direction)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        response = redirect("pipeline:pipeline_edit", pk=stage.pipeline_id)
        response.status_code = 303
        return response
    return redirect(reverse("pipeline:pipeline_edit", args=[stage.pipeline_id]) + "#stages")


@login_required
@require_POST
def stage_delete(request, pk):
    _require(request.user)
    stage = get_object_or_404(Stage, pk=pk)
    name = stage.name
    try:
        configuration.stage_delete(actor=request.user, stage=stage)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        context = {
            "form": StageForm(stage=stage),
            "pipeline": stage.pipeline,
            "stage": stage,
            "delete_problem": " ".join(exc.messages),
            "entries": history_entries(stage),
        }
        return render(request, "pipeline/configure_stage_form.html", context, status=409)
    messages.success(request, _("Stage “%(name)s” deleted.") % {"name": name})
    return redirect("pipeline:pipeline_edit", pk=stage.pipeline_id)


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request):
    _require(request.user)
    current = PipelinePolicy.current()
    form = PolicyForm(request.POST or None, policy=current)
    if request.method == "POST" and form.is_valid():
        saved = _save(
            request, form, lambda data: configuration.policy_update(actor=request.user, **data)
        )
        if saved is not None:
            messages.success(request, _("Pipeline settings saved."))
            return redirect("pipeline:policy")
    context = {"form": form, "entries": history_entries(current)}
    status = 422 if form.errors else 200
    return render(request, "pipeline/configure_policy.html", context, status=status)


urlpatterns = [
    path("settings/", pipeline_list, name="configure"),
    path("settings/new/", pipeline_create, name="pipeline_create"),
    path("settings/<int:pk>/", pipeline_edit, name="pipeline_edit"),
    path("settings/<int:pk>/stages/new/", stage_create, name="stage_create"),
    path("settings/stages/<int:pk>/", stage_edit, name="stage_edit"),
    path("settings/stages/<int:pk>/move/<str:direction>/", stage_move, name="stage_move"),
    path("settings/stages/<int:pk>/delete/", stage_delete, name="stage_delete"),
    path("settings/policy/", policy_edit, name="policy"),
]
