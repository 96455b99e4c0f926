"""The LTV leaderboard page (SPEC I6): per rep, customers, total and average LTV with their
ranks, a bar chart of the top 20, search, pagination and export.

A bad ``period``, ``team`` or ``sort`` is a message naming it, and that filter's default
instead; rows follow the board's visibility (ranking visibility as for KPI).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from salesops.core import clock
from salesops.core.exports import ExportTooLarge, RowList, export_response

from .. import ltv_board

ROWS_PER_PAGE = 50
FILTERS = ("period", "team", "sort")


def _board(request) -> ltv_board.Board:
    """The board asked for; each bad filter is a message naming it, then its default."""
    params = {name: request.GET.get(name) for name in FILTERS}
    try:
        return ltv_board.board(request.user, **params, search=request.GET.get("q", ""))
    except ValidationError as exc:
        for name, errors in exc.message_dict.items():
            messages.error(request, " ".join(errors))
            params[name] = None
    return ltv_board.board(request.user, **params, search=request.GET.get("q", ""))


@login_required
@require_GET
def ltv_board_page(request):
    board = _board(request)
    page = Paginator(board.rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    page.elided_range = page.paginator.get_elided_page_range(page.number)
    context = {
        "board": board,
        "page_obj": page,
        "periods": ltv_board.period_choices(clock.today()),
        "sorts": [(key, str(label)) for key, label in ltv_board.SORTS.items()],
        "chart": board.chart if board.rows else None,
        "sees_people": request.user.is_manager_role or request.user.sees_everything,
    }
    return render(request, "incentives/ltv/board.html", context)


EXPORT_COLUMNS = (
    (gettext_lazy("Rank by total"), "rank_total"),
    (gettext_lazy("Rank by average"), "rank_average"),
    (gettext_lazy("Name"), "name"),
    (gettext_lazy("Team"), "team"),
    (gettext_lazy("Customers"), "accounts"),
    (gettext_lazy("Total LTV"), "total"),
    (gettext_lazy("Average LTV"), "average"),
)


@login_required
@require_GET
def ltv_board_export(request):
    board = _board(request)
    columns = [(header, lambda r, key=key: getattr(r, key)) for header, key in EXPORT_COLUMNS]
    stem = f"ltv-leaderboard-{board.cohort.key}" + (f"-team{board.team.pk}" if board.team else "")
    try:
        return export_response(
            RowList(board.rows), columns, request.GET.get("format", "xlsx"), stem
        )
    except ExportTooLarge as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(reverse("incentives:ltv_board") + f"?{request.GET.urlencode()}")
