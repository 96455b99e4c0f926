"""The decomposition pages (T3): a plan's capability-resource matrix (scatter plot and
the table per rep with team subtotals), decomposing, the managers' adjustment, the Excel
export of what the viewer may see, and a rep's "my target" with the reasons.

Thin: reads through ``selectors_decomposition`` (visibility applied), writes through
``decomposition``. A plan the user may not see is a 404.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salesops.core import exports
from salesops.core.forms import attach_service_errors

from .. import decomposition, permissions
from .. import selectors_decomposition as selectors
from ..forms_decomposition import AdjustForm
from ..measures import fiscal_months
from ..models import PlanState, TargetPolicy
from .plans import plan_for


def _adjustable(user, plan, rows) -> list:
    if plan.is_locked or plan.state != PlanState.DECOMPOSED:
        return []
    return [row for row in rows if permissions.can_adjust_rep(user, row.rep)]


def _int(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


def _page(request, plan, form=None, status=200):
    team_id = _int(request.GET.get("team"))
    query = (request.GET.get("q") or "").strip()[:100]
    data = selectors.table(request.user, plan, team_id=team_id, query=query)
    adjustable = _adjustable(request.user, plan, data["rows"])
    if form is None and adjustable:
        form = AdjustForm(rows=adjustable)
    fields = dict((row.rep_id, field) for row, field in form.bound_rows()) if form else {}
    for block in data["teams"]:
        for row in block.rows:
            row.adjust_field = fields.get(row.rep_id)
    teams = {row.team_id: row.team for row in selectors.visible_rows(request.user, plan)}
    context = {
        "plan": plan,
        "data": data,
        "form": form,
        "can_decompose": permissions.can_configure(request.user)
        and not plan.is_locked
        and plan.state in (PlanState.SCENARIO_CHOSEN, PlanState.DECOMPOSED),
        "can_configure": permissions.can_configure(request.user),
        "team_choices": sorted(teams.values(), key=lambda t: t.path),
        "current_team": team_id,
        "query": query,
        "policy": TargetPolicy.current(),
        "adjusted_total": sum((row.amount for row in adjustable), Decimal("0.00")),
    }
    return render(request, "targets/decomposition.html", context, status=status)


@login_required
@require_GET
def decomposition_page(request, pk: int):
    plan = plan_for(request, pk)
    return _page(request, plan)


@login_required
@require_POST
def decomposition_run(request, pk: int):
    plan = plan_for(request, pk)
    try:
        rows = decomposition.decompose(plan=plan, actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("The pool is split to %(count)d reps; the targets add up to the pool exactly.")
            % {"count": len(rows)},
        )
    return redirect("targets:decomposition", pk=plan.pk)


@login_required
@require_http_methods(["POST"])
def decomposition_adjust(request, pk: int):
    plan = plan_for(request, pk)
    rows = list(selectors.visible_rows(request.user, plan))
    adjustable = _adjustable(request.user, plan, rows)
    if not adjustable:
        raise PermissionDenied(_("You may not change any target of this plan now."))
    form = AdjustForm(request.POST, rows=adjustable)
    if form.is_valid():
        try:
            decomposition.shares_adjust(
                plan=plan,
                actor=request.user,
                amounts=form.amounts(),
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {}
            if "amounts" in errors:
                form.add_error(None, errors.pop("amounts"))
            attach_service_errors(form, ValidationError(errors) if errors else exc)
        else:
            messages.success(request, _("Targets changed; the total still equals the pool."))
            return redirect("targets:decomposition", pk=plan.pk)
    plan.refresh_from_db()
    return _page(request, plan, form=form, status=422)


def _monthly(index: int):
    def get(row):
        return Decimal(row.monthly[index]) if len(row.monthly) > index else None

    return get


@login_required
@require_GET
def decomposition_export(request, pk: int):
    plan = plan_for(request, pk)
    policy = TargetPolicy.current()
    columns = [
        (_("Team"), "team.name"),
        (_("Rep"), "rep.label"),
        (_("Median won deal"), "median_deal"),
        (_("Key-account win rate"), "key_win_rate"),
        (_("Won deals"), "won_deals"),
        (_("Quadrant"), lambda row: decomposition.quadrant_label(policy, row.quadrant)),
        (_("Weight"), "weight"),
        (_("Share"), "share"),
        (_("Target"), "amount"),
        *[
            (f"{month:%Y-%m}", _monthly(i))
            for i, month in enumerate(fiscal_months(plan.fiscal_year, policy))
        ],
        (_("Adjusted"), "adjusted"),
        (_("Reason"), "reason"),
    ]
    rows = selectors.visible_rows(request.user, plan)
    fmt = request.GET.get("format", "xlsx")
    return exports.export_response(rows, columns, fmt, f"targets-{plan.pk}-decomposition")


@login_required
@require_GET
def my_target(request):
    if not permissions.has_targets(request.user):
        raise PermissionDenied(_("Targets are not part of your role."))
    return render(
        request, "targets/my_target.html", {"targets": selectors.my_targets(request.user)}
    )


urlpatterns = [
    path("plans/<int:pk>/decomposition/", decomposition_page, name="decomposition"),
    path("plans/<int:pk>/decomposition/run/", decomposition_run, name="decomposition_run"),
    path("plans/<int:pk>/decomposition/adjust/", decomposition_adjust, name="decomposition_adjust"),
    path("plans/<int:pk>/decomposition/export/", decomposition_export, name="decomposition_export"),
    path("mine/", my_target, name="my_target"),
]
