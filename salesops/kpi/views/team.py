"""The KPI rankings page (SPEC K3): a period's team or organisation ranking, with other
people's names only where ``permissions.ranking_names`` allows (otherwise a rep sees
their own row and how many are ranked), competition ranks, search and export.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from salesops.core.exports import ExportTooLarge, export_response

from .. import selectors
from ..models import RepScore

ROWS_PER_PAGE = 50


def _ranking(request):
    """The ranking asked for; a bad parameter is a message naming it and the default
    (this month, team scope, the viewer's run) instead."""
    params = {
        "period": request.GET.get("period"),
        "scope": request.GET.get("scope") or "team",
        "run_id": request.GET.get("run"),
        "team_id": request.GET.get("team"),
    }
    for _attempt in range(len(params) + 1):
        try:
            start, end = selectors.parse_period(params["period"])
            return selectors.ranking(
                request.user,
                start,
                end,
                scope=params["scope"],
                run_id=params["run_id"],
                team_id=params["team_id"],
                search=request.GET.get("q", ""),
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                messages.error(request, " ".join(errors))
                key = {"run": "run_id", "team": "team_id"}.get(name, name)
                params[key] = "team" if key == "scope" else None
    raise ValidationError(_("The ranking could not be read."))


@login_required
@require_GET
def rankings(request):
    result = _ranking(request)
    page = Paginator(result.rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    page.elided_range = page.paginator.get_elided_page_range(page.number)
    context = {
        "ranking": result,
        "page_obj": page,
        "period": selectors.period_key(result.start),
        "months": selectors.month_choices(request.user.pk, result.start),
        "search": request.GET.get("q", ""),
    }
    return render(request, "kpi/team/rankings.html", context)


EXPORT_COLUMNS = (
    (gettext_lazy("Rank"), "rank"),
    (gettext_lazy("Name"), "name"),
    (gettext_lazy("Team"), "team"),
    (gettext_lazy("Score"), "score"),
    (gettext_lazy("Result"), "result_score"),
    (gettext_lazy("Process"), "process_score"),
    (gettext_lazy("Quality"), "quality_score"),
)


@login_required
@require_GET
def rankings_export(request):
    result = _ranking(request)
    ranks = {r.row.pk: r.rank for r in result.rows}
    queryset = (
        RepScore.objects.filter(pk__in=list(ranks))
        .select_related("user", "team")
        .order_by("-score", "user_id")
    )
    getters = {
        "rank": lambda s: ranks[s.pk],
        "name": lambda s: s.user.label,
        "team": lambda s: s.team.name if s.team else "",
    }
    columns = [(str(header), getters.get(key, key)) for header, key in EXPORT_COLUMNS]
    stem = f"kpi-ranking-{result.scope}-{selectors.period_key(result.start)}"
    try:
        return export_response(queryset, columns, request.GET.get("format", "xlsx"), stem)
    except ExportTooLarge as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(reverse("kpi:rankings") + f"?{request.GET.urlencode()}")


urlpatterns = [
    path("rankings/", rankings, name="rankings"),
    path("rankings/export/", rankings_export, name="rankings_export"),
]
