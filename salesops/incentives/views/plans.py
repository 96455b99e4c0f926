"""Bonus-plan pages (configurers): the list, a plan with its versions and what each
changed, the editor of a new version (one row per component kind, a help panel of the
kind's variables, **Check** through the API without saving) and a read-only version."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from salesops.core import clock
from salesops.core.history import history_entries
from salesops.org.models import Role

from .. import plans
from ..forms_plans import PlanEditForm, PlanForm, VersionForm
from ..models import BonusPlan, PlanVersion


@login_required
@require_GET
def plan_list(request):
    plans.require_configurer(request.user)
    query = request.GET.get("q", "").strip()[:200]
    role = request.GET.get("role", "")[:20]
    active = request.GET.get("active", "")[:3]
    paginator = Paginator(
        plans.plans_list(q=query, role=role, active=active), settings.SALESOPS["PAGE_SIZE"]
    )
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    context = {
        "page_obj": page,
        "rows": page.object_list,
        "query": query,
        "role": role,
        "active": active,
        "roles": [(Role.REP.value, Role.REP.label), (Role.MANAGER.value, Role.MANAGER.label)],
    }
    return render(request, "incentives/plans/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def plan_new(request):
    plans.require_configurer(request.user)
    form = PlanForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                plan = plans.create_plan(by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.attach_errors(exc.message_dict)
            else:
                messages.success(request, _("Plan added. Save its first version now."))
                return redirect("incentives:version_new", pk=plan.pk)
    return render(request, "incentives/plans/create.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def plan_detail(request, pk: int):
    """The plan, its versions (effective dates, what changed) and the components in force;
    a POST renames, describes or (de)activates it."""
    plans.require_configurer(request.user)
    plan = get_object_or_404(BonusPlan.objects.select_related("team"), pk=pk)
    form = PlanEditForm(request.POST or None, plan=plan)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                plans.update_plan(by=request.user, plan=plan, **form.cleaned_data)
            except ValidationError as exc:
                form.attach_errors(exc.message_dict)
            else:
                messages.success(request, _("Plan saved."))
                return redirect("incentives:plan_detail", pk=plan.pk)
    today = clock.today()
    versions = list(plan.versions.select_related("created_by").order_by("-number"))
    current = plans.current_version(plan, today)
    rows = [{"version": v, "changes": plans.version_changes(v)} for v in versions]
    context = {
        "plan": plan,
        "rows": rows,
        "today": today,
        "current": current,
        "components": plans.components_of(current),
        "form": form,
        "entries": history_entries(plan),
    }
    return render(request, "incentives/plans/detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def version_new(request, pk: int):
    """The editor: a new version, starting from the latest one."""
    plans.require_configurer(request.user)
    plan = get_object_or_404(BonusPlan, pk=pk)
    latest = plans.latest_version(plan)
    form = VersionForm(request.POST or None, plan=plan, start=plans.component_rows(latest))
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                version = plans.save_version(plan, by=request.user, **form.service_data())
            except plans.ComponentErrors as exc:
                form.attach_errors(exc.message_dict, exc.by_kind)
            except ValidationError as exc:
                form.attach_errors(exc.message_dict)
            else:
                messages.success(
                    request,
                    _("Version %(n)d saved, in force from %(day)s.")
                    % {"n": version.number, "day": version.effective_on},
                )
                return redirect("incentives:plan_detail", pk=plan.pk)
    context = {
        "plan": plan,
        "latest": latest,
        "form": form,
        "rows": form.rows(),
        "today": clock.today(),
        "period": plans.last_month(),
    }
    return render(request, "incentives/plans/editor.html", context, status=status)


@login_required
@require_GET
def version_detail(request, pk: int, number: int):
    plans.require_configurer(request.user)
    version = get_object_or_404(
        PlanVersion.objects.select_related("plan", "created_by"), plan_id=pk, number=number
    )
    components = [
        {"component": c, "variables": plans.variables_help(c.kind)}
        for c in plans.components_of(version)
    ]
    context = {
        "plan": version.plan,
        "version": version,
        "components": components,
        "changes": plans.version_changes(version),
        "today": clock.today(),
    }
    return render(request, "incentives/plans/version.html", context)


urlpatterns = [
    path("plans/", plan_list, name="plan_list"),
    path("plans/new/", plan_new, name="plan_new"),
    path("plans/<int:pk>/", plan_detail, name="plan_detail"),
    path("plans/<int:pk>/versions/new/", version_new, name="version_new"),
    path("plans/<int:pk>/versions/<int:number>/", version_detail, name="version_detail"),
]
