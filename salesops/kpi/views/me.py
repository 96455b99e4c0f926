"""KPI self-service pages (SPEC K3–K5): my score (and a rep's, for those who see them),
the records behind a number, my comparison and my capability radar.

Visibility is the selectors': another rep's score or value is a 404. A bad ``period``
is a message naming it and the current month instead.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .. import comparison, radar, selectors
from ..selectors_drill import drill as drill_of
from ..selectors_drill import drill_component, record_row

RECORDS_PER_PAGE = 25


def _period(request) -> tuple:
    """The month asked for, or the current one with a message naming the bad field."""
    try:
        return selectors.parse_period(request.GET.get("period"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.message_dict.get("period", exc.messages)))
        return selectors.parse_period(None)


def _score_page(request, rep_id: int, *, own: bool):
    start, end = _period(request)
    card = selectors.score_card(request.user, rep_id, start, end)
    context = {
        "card": card,
        "own": own,
        "period": selectors.period_key(start),
        "months": selectors.month_choices(card.rep.pk, start),
        "action": reverse("kpi:my_score") if own else reverse("kpi:rep_score", args=[rep_id]),
    }
    return render(request, "kpi/me/score.html", context)


@login_required
@require_GET
def my_score(request):
    return _score_page(request, request.user.pk, own=True)


@login_required
@require_GET
def rep_score(request, user_id: int):
    if user_id == request.user.pk:
        query = request.GET.urlencode()
        return redirect(reverse("kpi:my_score") + (f"?{query}" if query else ""))
    return _score_page(request, user_id, own=False)


def _drill_page(request, found):
    context = {"drill": found, "value": found.value, "search": request.GET.get("q", "")}
    if found.records is not None:
        page = Paginator(found.records, RECORDS_PER_PAGE).get_page(request.GET.get("page"))
        page.elided_range = page.paginator.get_elided_page_range(page.number)
        context["page_obj"] = page
        context["rows"] = [record_row(obj, found.definition) for obj in page.object_list]
    value = found.value
    own = value.user_id == request.user.pk
    back = reverse("kpi:my_score") if own else reverse("kpi:rep_score", args=[value.user_id])
    context["back"] = f"{back}?period={selectors.period_key(value.run.period_start)}"
    return render(request, "kpi/me/drill.html", context)


@login_required
@require_GET
def drill(request, value_id: int):
    return _drill_page(request, drill_of(request.user, value_id, text=request.GET.get("q", "")))


@login_required
@require_GET
def drill_part(request, value_id: int, code: str):
    found = drill_component(request.user, value_id, code, text=request.GET.get("q", ""))
    return _drill_page(request, found)


def comparison_labels() -> dict:
    return {
        "me": _("Me"),
        "top3": _("Team TOP3"),
        "benchmark": _("Benchmark"),
        "axis": _("Share of the largest of the three (%)"),
    }


@login_required
@require_GET
def my_comparison(request):
    start, end = _period(request)
    result = comparison.compare(request.user, start, end)
    context = {
        "result": result,
        "chart": comparison.chart_data(result, comparison_labels()),
        "period": selectors.period_key(start),
        "months": selectors.month_choices(request.user.pk, start),
    }
    return render(request, "kpi/me/comparison.html", context)


def radar_chart(current: dict, previous: dict) -> dict:
    def number(value):
        return None if value is None else float(value)

    zh = selectors.chinese()
    axes = current["axes"]
    return {
        "indicators": [{"name": a["name"] if zh else a["name_en"], "max": 100} for a in axes],
        "series": [
            {"name": _("Me, this quarter"), "data": [number(a["value"]) for a in axes]},
            {
                "name": _("Team average, this quarter"),
                "data": [number(a["team_average"]) for a in axes],
            },
            {
                "name": _("Me, last quarter"),
                "data": [number(a["value"]) for a in previous["axes"]],
            },
        ],
    }


@login_required
@require_GET
def my_radar(request):
    start, end = radar.quarter_bounds(selectors.today())
    current = radar.for_user(request.user, start, end)
    previous = radar.for_user(request.user, *radar.previous_quarter(start))
    context = {
        "current": current,
        "previous": previous,
        "chart": radar_chart(current, previous),
        "zh": selectors.chinese(),
    }
    return render(request, "kpi/me/radar.html", context)


urlpatterns = [
    path("me/", my_score, name="my_score"),
    path("reps/<int:user_id>/", rep_score, name="rep_score"),
    path("values/<int:value_id>/records/", drill, name="drill"),
    path("values/<int:value_id>/records/<slug:code>/", drill_part, name="drill_component"),
    path("me/comparison/", my_comparison, name="comparison"),
    path("me/radar/", my_radar, name="radar"),
]
