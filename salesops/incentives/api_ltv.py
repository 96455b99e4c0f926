"""Incentives API: the LTV leaderboard (SPEC I6).

Visibility is the board's (ranking visibility as for KPI): other reps' rows appear only
where the viewer may see them; ``total`` and the viewer's own ranks always. A bad
``period``, ``team``, ``sort``, ``page`` or ``page_size`` is a 422 naming it.
"""

from __future__ import annotations

from ninja import Query, Router

from salesops.core.pagination import paginate

from . import ltv_board
from .models import LedgerLine
from .schemas_ltv import LtvBoardOut, LtvQuery

router = Router(tags=["incentives"])


def _page(rows: list, page: int, page_size: int | None) -> dict:
    """``core.pagination.paginate``'s checks and shape for a computed list."""
    shape = paginate(LedgerLine.objects.none(), page, page_size)
    first = (page - 1) * shape["page_size"]
    return {**shape, "count": len(rows), "results": rows[first : first + shape["page_size"]]}


@router.get(
    "/incentives/ltv",
    response=LtvBoardOut,
    summary="LTV leaderboard",
    operation_id="salesops_incentives_api_ltv_board",
)
def ltv_leaderboard(request, query: Query[LtvQuery]):
    """Per rep: customers, total LTV and average LTV per customer, ranked by both, for a
    team (with the teams below) and a cohort of first signing."""
    board = ltv_board.board(
        request.user, period=query.period, team=query.team, sort=query.sort, search=query.search
    )
    page = _page(board.rows, query.page, query.page_size)
    return {
        "period": board.cohort.key,
        "period_start": board.cohort.start.isoformat() if board.cohort.start else None,
        "period_end": board.cohort.end.isoformat() if board.cohort.end else None,
        "team_id": board.team.pk if board.team else None,
        "sort": board.sort,
        "total": board.total,
        "names": board.names,
        "my_rank_total": board.me.rank_total if board.me else None,
        "my_rank_average": board.me.rank_average if board.me else None,
        "formula_version": board.formula_version,
        "count": page["count"],
        "page": page["page"],
        "page_size": page["page_size"],
        "results": [
            {
                "rep_id": r.rep_id,
                "name": r.name,
                "team": r.team or None,
                "accounts": r.accounts,
                "total": r.total,
                "average": r.average,
                "rank_total": r.rank_total,
                "rank_average": r.rank_average,
                "is_me": r.is_me,
            }
            for r in page["results"]
        ],
    }
