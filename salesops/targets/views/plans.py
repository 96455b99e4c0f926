"""The plan pages: the list (search, pagination, a create button for configurers), a new
plan, a plan's page with its workflow as steps, publishing and the Excel export. Thin:
reads through selectors, writes through services."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salesops.core import clock
from salesops.core.forms import attach_service_errors

from .. import exports_plans, selectors, services
from ..forms import PlanForm
from ..lifecycle import reached
from ..models import STATE_ORDER, Allocation, PlanState, TargetPolicy
from ..permissions import can_configure, can_decide, has_targets


def require_targets(user) -> None:
    if not has_targets(user):
        raise PermissionDenied(_("Targets are not part of your role."))


def plan_for(request, pk):
    require_targets(request.user)
    return selectors.plan_or_404(request.user, pk)


def service_error_message(request, exc: ValidationError) -> None:
    for text in exc.messages:
        messages.error(request, text)


@login_required
@require_GET
def plan_list(request):
    require_targets(request.user)
    query = request.GET.get("q", "").strip()[:200]
    paginator = Paginator(selectors.plans(request.user, query), settings.SALESOPS["PAGE_SIZE"])
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    context = {
        "page_obj": page,
        "rows": page.object_list,
        "query": query,
        "can_configure": can_configure(request.user),
    }
    return render(request, "targets/plan_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def plan_create(request):
    require_targets(request.user)
    if not can_configure(request.user):
        raise PermissionDenied(_("Only sales-ops admins and directors configure targets."))
    policy = TargetPolicy.current()
    initial = {"fiscal_year": clock.today().year + 1, "measure": policy.default_measure}
    form = PlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan = services.plan_create(actor=request.user, **data)
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            messages.success(request, _("Plan created. Calibrate it next."))
            return redirect(plan.get_absolute_url())
    return render(
        request,
        "targets/plan_form.html",
        {"form": form, "cancel_url": reverse("targets:plan_list")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request, pk):
    plan = plan_for(request, pk)
    if not can_configure(request.user) or plan.is_locked:
        raise PermissionDenied(_("Only sales-ops admins and directors change an unpublished plan."))
    initial = {
        "name": plan.name,
        "fiscal_year": plan.fiscal_year,
        "team": plan.team,
        "product_line": plan.product_line,
        "measure": plan.measure,
    }
    form = PlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_update(plan=plan, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            messages.success(request, _("Plan saved."))
            return redirect(plan.get_absolute_url())
    context = {"form": form, "plan": plan, "cancel_url": plan.get_absolute_url()}
    return render(request, "targets/plan_form.html", context)


def steps(plan) -> list[dict]:
    """The workflow as steps: label, state reached, link."""
    return [
        {
            "key": "calibration",
            "label": _("Calibration"),
            "done": reached(plan, PlanState.CALIBRATED),
            "url": reverse("targets:calibration", args=[plan.pk]),
        },
        {
            "key": "scenarios",
            "label": _("Scenarios & vote"),
            "done": reached(plan, PlanState.SCENARIO_CHOSEN),
            "url": reverse("targets:scenarios", args=[plan.pk]),
        },
        {
            "key": "decomposition",
            "label": _("Decomposition"),
            "done": reached(plan, PlanState.DECOMPOSED),
            "url": reverse("targets:decomposition", args=[plan.pk]),
        },
        {
            "key": "publish",
            "label": _("Publish"),
            "done": plan.is_locked,
            "url": "#publish",
        },
        {
            "key": "health",
            "label": _("Health"),
            "done": None,
            "url": reverse("targets:health", args=[plan.pk]),
        },
        {
            "key": "survey",
            "label": _("Survey"),
            "done": None,
            "url": reverse("targets:survey", args=[plan.pk]),
        },
        {
            "key": "adjustments",
            "label": _("Adjustments"),
            "done": None,
            "url": reverse("targets:adjustments", args=[plan.pk]),
        },
    ]


@login_required
@require_GET
def plan_detail(request, pk):
    plan = plan_for(request, pk)
    user = request.user
    mine = Allocation.objects.filter(plan=plan, version=plan.version, rep=user).first()
    context = {
        "plan": plan,
        "steps": steps(plan),
        "state_index": STATE_ORDER.index(plan.state),
        "can_configure": can_configure(user),
        "can_edit": can_configure(user) and not plan.is_locked,
        "can_decide": can_decide(user),
        "can_publish": can_configure(user) and plan.state == PlanState.DECOMPOSED,
        "my_allocation": mine,
        "pending_adjustments": plan.adjustments.filter(state="pending").count(),
    }
    return render(request, "targets/plan_detail.html", context)


@login_required
@require_POST
def plan_publish(request, pk):
    plan = plan_for(request, pk)
    try:
        services.publish(plan=plan, actor=request.user)
    except ValidationError as exc:
        service_error_message(request, exc)
    else:
        messages.success(request, _("The plan is published."))
    return redirect(plan.get_absolute_url())


@login_required
@require_GET
def plan_export(request, pk):
    plan = plan_for(request, pk)
    return exports_plans.plan_workbook(request.user, plan)
