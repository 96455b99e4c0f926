"""The consensus survey page of a plan (T6): the anonymous form for those who have not
answered, the results for those who may see them (table, chart, deviation, correlation),
opening and closing (configurers) and the results' export. Thin: the rules are in
:mod:`salesops.targets.survey`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salesops.core.exports import RowList, export_response
from salesops.core.forms import attach_service_errors

from .. import survey
from ..forms_survey import SurveyAnswerForm
from ..models import SurveyLevel, TargetPolicy
from ..selectors import plan_or_404


def chart_data(results: survey.Results) -> dict:
    """Mean estimates by level per team, for the ECharts bar (null where a group is
    hidden or has no answers)."""
    series = {level: [] for level in SurveyLevel.values}
    for team in results.teams:
        means = {g.level: g.mean_estimate for g in team.groups if g.shown}
        for level in SurveyLevel.values:
            value = means.get(level)
            series[level].append(float(value) if value is not None else None)
    return {
        "labels": [team.team.name for team in results.teams],
        "names": {level: str(label) for level, label in SurveyLevel.choices},
        "series": series,
    }


@login_required
@require_http_methods(["GET", "POST"])
def survey_page(request, pk: int):
    plan = plan_or_404(request.user, pk)
    current = survey.survey_for(plan)
    closed = survey.is_closed(current)
    can_answer = survey.may_answer(request.user, plan)
    answered = survey.has_answered(request.user, current)
    form = None
    if can_answer and not answered and not closed:
        form = SurveyAnswerForm(request.POST or None)
    if request.method == "POST":
        if form is None:
            if not can_answer:
                raise PermissionDenied(
                    _("Only directors, managers and reps who see this plan answer its survey.")
                )
            messages.error(
                request,
                _("You have answered this survey.") if answered else _("The survey is closed."),
            )
            return redirect("targets:survey", pk=plan.pk)
        if form.is_valid():
            try:
                survey.survey_answer(plan=plan, user=request.user, **form.cleaned_data)
            except survey.SurveyConflict as exc:
                messages.error(request, exc.messages[0])
                return redirect("targets:survey", pk=plan.pk)
            except ValidationError as exc:
                attach_service_errors(form, exc)
            else:
                messages.success(request, _("Thank you: your answer was recorded anonymously."))
                return redirect("targets:survey", pk=plan.pk)
    results = survey.survey_results(request.user, plan)
    context = {
        "plan": plan,
        "survey": current,
        "closed": closed,
        "can_answer": can_answer,
        "answered": answered,
        "can_manage": survey.may_manage(request.user),
        "form": form,
        "results": results,
        "chart": chart_data(results) if results and results.teams else None,
        "priorities": survey.Priority.choices,
        "min_group": TargetPolicy.current().survey_min_group,
    }
    return render(request, "targets/survey.html", context)


@login_required
@require_POST
def survey_state(request, pk: int):
    plan = plan_or_404(request.user, pk)
    is_open = request.POST.get("action") == "open"
    survey.survey_set_open(actor=request.user, plan=plan, is_open=is_open)
    messages.success(request, _("The survey is open.") if is_open else _("The survey is closed."))
    return redirect("targets:survey", pk=plan.pk)


def export_rows(results: survey.Results) -> list[dict]:
    hidden = _("fewer than %(n)d answers") % {"n": results.min_group}
    rows = []
    for team in results.teams:
        for group in team.groups:
            rows.append(
                {
                    "team": team.team.name,
                    "level": group.level_label,
                    "n": group.n if group.shown else hidden,
                    "mean_estimate": group.mean_estimate,
                    "mean_reachability": group.mean_reachability,
                    "priorities": group.priorities,
                    "target": team.target,
                    "deviation": team.deviation,
                    "consensus": team.consensus,
                    "attainment": team.attainment,
                }
            )
    return rows


def export_columns() -> list:
    columns = [
        (_("Team"), lambda r: r["team"]),
        (_("Level"), lambda r: r["level"]),
        (_("Answers"), lambda r: r["n"]),
        (_("Mean estimate"), lambda r: r["mean_estimate"]),
        (_("Mean reachability (1–5)"), lambda r: r["mean_reachability"]),
    ]
    for code, label in survey.Priority.choices:
        columns.append(
            (
                _("Priority: %(label)s") % {"label": label},
                lambda r, code=code: r["priorities"].get(code),
            )
        )
    columns += [
        (_("Team target"), lambda r: r["target"]),
        (_("Deviation between levels"), lambda r: r["deviation"]),
        (_("Consensus"), lambda r: r["consensus"]),
        (_("Attainment"), lambda r: r["attainment"]),
    ]
    return columns


@login_required
@require_GET
def survey_export(request, pk: int, fmt: str):
    plan = plan_or_404(request.user, pk)
    results = survey.survey_results(request.user, plan)
    if results is None:
        raise PermissionDenied(_("The survey's results are for managers and directors."))
    return export_response(
        RowList(export_rows(results)), export_columns(), fmt, f"target-survey-{plan.pk}"
    )


urlpatterns = [
    path("plans/<int:pk>/survey/", survey_page, name="survey"),
    path("plans/<int:pk>/survey/state/", survey_state, name="survey_state"),
    path("plans/<int:pk>/survey/export.<str:fmt>", survey_export, name="survey_export"),
]
