"""The plan's step pages: calibration (T1), scenarios with the vote and the baseline
(T2), and adjustments after publishing. Thin: selectors to read, services to write."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salesops.core.forms import attach_service_errors

from .. import measures, selectors, services
from ..calibration import POOL_NAMES
from ..factors import FACTOR_NAMES
from ..forms import AdjustmentForm, CalibrationForm, DecisionForm, ScenarioForm
from ..models import Adjustment, AdjustmentState, Scenario
from ..permissions import (
    can_adjust_rep,
    can_configure,
    can_decide,
    members,
    visible_allocations,
)
from .plans import plan_for, service_error_message


def _month_labels(plan) -> list[str]:
    return [f"{m:%Y-%m}" for m in measures.fiscal_months(plan.fiscal_year)]


def _calibration_initial(plan) -> dict:
    calibration = plan.calibration
    typed = calibration.computed_at and calibration.headcount != members(plan).count()
    initial = {
        "bidding_index": calibration.bidding_index,
        "competitor_notes": calibration.competitor_notes,
        "top_n": calibration.top_n,
        "headcount": calibration.headcount if typed else None,
        "utilisation": calibration.utilisation,
        "formula": calibration.formula,
    }
    for i, value in enumerate(calibration.seasonal_index):
        initial[f"seasonal_{i}"] = Decimal(str(value))
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def calibration(request, pk):
    plan = plan_for(request, pk)
    editable = can_configure(request.user) and not plan.is_locked
    if request.method == "POST" and not editable:
        raise PermissionDenied(_("Only sales-ops admins and directors configure targets."))
    months = _month_labels(plan)
    form = CalibrationForm(
        request.POST if request.method == "POST" else None,
        initial=_calibration_initial(plan),
        months=months,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.calibrate(plan=plan, actor=request.user, **form.inputs())
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and "seasonal_index" in exc.error_dict:
                form.add_error(None, exc.error_dict.pop("seasonal_index"))
            attach_service_errors(form, exc)
        else:
            messages.success(request, _("Calibrated: the pool is set from the three sources."))
            return redirect(reverse("targets:calibration", args=[plan.pk]))
    calib = plan.calibration
    chart = {
        "labels": [row["month"] for row in calib.history_months],
        "values": [row["amount"] for row in calib.history_months],
        "name": _("Historical (%(measure)s)") % {"measure": plan.get_measure_display()},
    }
    context = {
        "plan": plan,
        "calibration": calib,
        "form": form,
        "editable": editable,
        "chart": chart,
        "pool_names": sorted(POOL_NAMES),
        "rows": list(zip(calib.history_months, calib.seasonal_index, months, strict=False)),
    }
    return render(request, "targets/plan_calibration.html", context)


def _scenario_name(scenario) -> str:
    return scenario.name_zh if (get_language() or "").startswith("zh") else scenario.name_en


@login_required
@require_GET
def scenarios(request, pk):
    plan = plan_for(request, pk)
    user = request.user
    rows = selectors.scenarios(plan)
    vote = selectors.vote_summary(user, plan)
    for scenario in rows:
        scenario.label = _scenario_name(scenario)
        scenario.vote_count = (
            vote["counts"].get(scenario.pk, 0) if vote["counts"] is not None else None
        )
    factors = rows[0].factors if rows and rows[0].factors else {}
    chart = {
        "labels": [s.label for s in rows],
        "values": [str(s.result) if s.result is not None else None for s in rows],
        "votes": [s.vote_count for s in rows] if vote["counts"] is not None else None,
        "names": {"result": _("Result"), "votes": _("Votes")},
    }
    editable = can_configure(user) and not plan.is_locked
    context = {
        "plan": plan,
        "scenarios": rows,
        "factors": [(name, factors.get(name)) for name in FACTOR_NAMES] if factors else [],
        "vote": vote,
        "chart": chart,
        "editable": editable,
        "can_decide": can_decide(user) and not plan.is_locked,
        "form": ScenarioForm(),
        "factor_names": FACTOR_NAMES,
    }
    return render(request, "targets/plan_scenarios.html", context)


def _scenario_of(plan, value):
    """The plan's scenario named by a posted id (None for anything else)."""
    text = str(value or "").strip()
    if not text.isdigit() or len(text) > 18:
        return None
    return Scenario.objects.filter(plan=plan, pk=int(text)).first()


def _back(plan):
    return redirect(reverse("targets:scenarios", args=[plan.pk]))


def _run(request, plan, action, success: str):
    try:
        action()
    except ValidationError as exc:
        service_error_message(request, exc)
    else:
        messages.success(request, success)
    return _back(plan)


@login_required
@require_POST
def scenarios_compute(request, pk):
    plan = plan_for(request, pk)
    return _run(
        request,
        plan,
        lambda: services.scenarios_compute(plan=plan, actor=request.user),
        _("Scenarios computed from today's data."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def scenario_edit(request, pk, scenario_pk=None):
    plan = plan_for(request, pk)
    if not can_configure(request.user):
        raise PermissionDenied(_("Only sales-ops admins and directors configure targets."))
    scenario = get_object_or_404(Scenario, plan=plan, pk=scenario_pk) if scenario_pk else None
    initial = (
        {f: getattr(scenario, f) for f in ("code", "name_zh", "name_en", "formula", "position")}
        if scenario
        else {}
    )
    form = ScenarioForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if scenario:
                services.scenario_update(scenario=scenario, actor=request.user, **data)
            else:
                services.scenario_create(plan=plan, actor=request.user, **data)
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            messages.success(request, _("Scenario saved. Compute the scenarios to see its result."))
            return _back(plan)
    context = {
        "plan": plan,
        "scenario": scenario,
        "form": form,
        "factor_names": FACTOR_NAMES,
        "cancel_url": reverse("targets:scenarios", args=[plan.pk]),
    }
    return render(request, "targets/plan_scenario_form.html", context)


@login_required
@require_POST
def scenario_delete(request, pk, scenario_pk):
    plan = plan_for(request, pk)
    scenario = get_object_or_404(Scenario, plan=plan, pk=scenario_pk)
    return _run(
        request,
        plan,
        lambda: services.scenario_delete(scenario=scenario, actor=request.user),
        _("Scenario deleted."),
    )


@login_required
@require_POST
def vote(request, pk):
    plan = plan_for(request, pk)
    scenario = _scenario_of(plan, request.POST.get("scenario"))
    return _run(
        request,
        plan,
        lambda: services.vote_cast(plan=plan, voter=request.user, scenario=scenario),
        _("Your vote is recorded; you may change it until the vote closes."),
    )


@login_required
@require_POST
def vote_close(request, pk):
    plan = plan_for(request, pk)
    return _run(
        request, plan, lambda: services.vote_close(plan=plan, actor=request.user), _("Vote closed.")
    )


@login_required
@require_POST
def baseline_confirm(request, pk):
    plan = plan_for(request, pk)
    scenario = _scenario_of(plan, request.POST.get("scenario"))
    return _run(
        request,
        plan,
        lambda: services.baseline_confirm(plan=plan, scenario=scenario, actor=request.user),
        _("Baseline confirmed: decompose the plan to reps next."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def adjustments(request, pk):
    plan = plan_for(request, pk)
    user = request.user
    seen = visible_allocations(user, plan).select_related("rep", "team")
    adjustable = [row for row in seen if can_adjust_rep(user, row.rep)] if plan.is_locked else []
    form = AdjustmentForm(request.POST or None, allocations=adjustable)
    if request.method == "POST":
        if not adjustable:
            raise PermissionDenied(_("You may not ask for an adjustment of this plan."))
        if form.is_valid():
            try:
                services.adjustment_request(
                    plan=plan,
                    actor=user,
                    changes=form.changes(),
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                attach_service_errors(form, exc)
            else:
                messages.success(request, _("Adjustment requested: a director decides it."))
                return redirect(reverse("targets:adjustments", args=[plan.pk]))
    names = {row.rep_id: str(row.rep) for row in seen}
    current = {row.rep_id: row.amount for row in seen}
    history = []
    for adjustment in selectors.adjustments(user, plan):
        changes = selectors.visible_changes(user, adjustment)
        history.append(
            {
                "adjustment": adjustment,
                "changes": [
                    (names.get(int(k), k), current.get(int(k)), Decimal(v))
                    for k, v in changes.items()
                ],
                "hidden": len(adjustment.changes) - len(changes),
            }
        )
    context = {
        "plan": plan,
        "form": form,
        "adjustable": adjustable,
        "history": history,
        "can_decide": can_decide(user),
        "decision_form": DecisionForm(),
        "pending": AdjustmentState.PENDING,
    }
    return render(request, "targets/plan_adjustments.html", context)


@login_required
@require_POST
def adjustment_decide(request, pk, adjustment_pk):
    plan = plan_for(request, pk)
    adjustment = get_object_or_404(Adjustment, plan=plan, pk=adjustment_pk)
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    approve = request.POST.get("decision") == "approve"
    decide = services.adjustment_approve if approve else services.adjustment_reject
    try:
        decide(adjustment=adjustment, actor=request.user, note=note)
    except ValidationError as exc:
        service_error_message(request, exc)
    else:
        messages.success(
            request,
            _("Approved: the new targets are in force.") if approve else _("Rejected."),
        )
    return redirect(reverse("targets:adjustments", args=[plan.pk]))
