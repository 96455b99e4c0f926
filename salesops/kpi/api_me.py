"""KPI API: me (SPEC K3–K5) — my score and a rep's, the rankings, my comparison, my
capability radar and the records behind a score's number.

Visibility is the selectors': another rep's score or value answers 404 to a rep; a bad
``period`` (not ``YYYY-MM``) or ``scope`` is a 422 naming it.
"""

from __future__ import annotations

from django.urls import reverse
from ninja import Query, Router, Schema

from salesops.core.pagination import paginate

from . import comparison, radar, selectors
from .models import RepScore
from .schemas_me import ComparisonOut, RadarOut, RankingOut, RecordsOut, ScoreOut
from .selectors_drill import drill, drill_component, record_row

router = Router(tags=["kpi"])


class PeriodQuery(Schema):
    period: str | None = None


class RankingQuery(Schema):
    period: str | None = None
    scope: str = "team"
    run: int | None = None
    team: int | None = None
    search: str = ""
    page: int = 1
    page_size: int | None = None


class RecordsQuery(Schema):
    component: str | None = None
    search: str = ""
    page: int = 1
    page_size: int | None = None


def _records_url(value_id: int, component: str | None = None) -> str:
    url = reverse("api:kpi_value_records", args=[value_id])
    return f"{url}?component={component}" if component else url


def _score(card) -> dict:
    row = card.row
    return {
        "user_id": card.rep.pk,
        "user": card.rep.label,
        "period": selectors.period_key(card.start),
        "start": card.start,
        "end": card.end,
        "state": row.run.state if row else None,
        "reason": card.reason,
        "scheme": row.run.scheme.name if row else None,
        "version": row.run.version.number if row else None,
        "score": row.score if row else None,
        "result_score": row.result_score if row else None,
        "process_score": row.process_score if row else None,
        "quality_score": row.quality_score if row else None,
        "rank_team": row.rank_team if row else None,
        "team_size": card.team_size,
        "rank_org": row.rank_org if row else None,
        "org_size": card.org_size,
        "computed_at": row.computed_at if row else None,
        "metrics": [
            {
                "value_id": line.value.pk,
                "code": line.code,
                "name": line.name,
                "group": line.group,
                "unit": line.unit,
                "higher_is_better": line.higher_is_better,
                "actual": line.value.actual,
                "target": line.value.target,
                "gap": line.gap,
                "target_score": line.target_score,
                "score": line.value.score,
                "weight": line.weight,
                "formula": line.formula,
                "metric_formula": line.definition.get("formula", "") if line.derived else "",
                "inputs": line.value.inputs or {},
                "error": line.value.error,
                "records_url": _records_url(line.value.pk),
            }
            for line in card.lines
        ],
    }


@router.get("/kpi/me/score", response=ScoreOut, summary="My KPI score")
def my_score(request, query: Query[PeriodQuery]):
    """My score for the month ``period`` (``YYYY-MM``; default: this month, refreshed
    first when stale), my group scores, ranks and every metric with its inputs."""
    start, end = selectors.parse_period(query.period)
    return _score(selectors.score_card(request.user, request.user.pk, start, end))


@router.get("/kpi/reps/{user_id}/score", response=ScoreOut, summary="A rep's KPI score")
def rep_score(request, user_id: int, query: Query[PeriodQuery]):
    """A rep's score as on their page: their managers and the roles that see everything
    only (404 otherwise)."""
    start, end = selectors.parse_period(query.period)
    return _score(selectors.score_card(request.user, user_id, start, end))


@router.get("/kpi/rankings", response=RankingOut, summary="KPI rankings")
def rankings(request, query: Query[RankingQuery]):
    """The ``scope`` (team | org) ranking of a month: competition ranks; other people's
    rows only where the ranking visibility allows (``names``), ``total`` always."""
    start, end = selectors.parse_period(query.period)
    result = selectors.ranking(
        request.user,
        start,
        end,
        scope=query.scope,
        run_id=query.run,
        team_id=query.team,
        search=query.search,
    )
    page = _paginate_list(result.rows, query.page, query.page_size)
    return {
        "period": selectors.period_key(start),
        "scope": result.scope,
        "run_id": result.run.pk if result.run else None,
        "scheme": result.run.scheme.name if result.run else None,
        "total": result.total,
        "names": result.names,
        "my_rank": result.me.rank if result.me else None,
        "count": page["count"],
        "page": page["page"],
        "page_size": page["page_size"],
        "results": [
            {
                "rank": r.rank,
                "user_id": r.row.user_id,
                "name": r.name,
                "team": r.row.team.name if r.row.team else None,
                "score": r.row.score,
                "result_score": r.row.result_score,
                "process_score": r.row.process_score,
                "quality_score": r.row.quality_score,
                "is_me": r.is_me,
            }
            for r in page["results"]
        ],
    }


def _paginate_list(rows: list, page: int, page_size: int | None) -> dict:
    """``core.pagination.paginate`` for a computed list: the same checks (a bad ``page``
    or ``page_size`` is a 422 naming it) and the same shape."""
    shape = paginate(RepScore.objects.none(), page, page_size)
    size = shape["page_size"]
    first = (page - 1) * size
    return {**shape, "count": len(rows), "results": rows[first : first + size]}


@router.get("/kpi/me/comparison", response=ComparisonOut, summary="My comparison")
def my_comparison(request, query: Query[PeriodQuery]):
    """Me against my team's TOP3 (never me) and the benchmark on the comparison metrics."""
    start, end = selectors.parse_period(query.period)
    result = comparison.compare(request.user, start, end)
    return {**result, "period": selectors.period_key(start)}


@router.get("/kpi/me/radar", response=RadarOut, summary="My capability radar")
def my_radar(request, query: Query[PeriodQuery]):
    """My radar against my team's average for the quarter holding ``period`` (default:
    this quarter) and the quarter before."""
    start, _end = selectors.parse_period(query.period)
    first, last = radar.quarter_bounds(start)
    return {
        "current": radar.for_user(request.user, first, last),
        "previous": radar.for_user(request.user, *radar.previous_quarter(first)),
    }


@router.get(
    "/kpi/values/{value_id}/records",
    response=RecordsOut,
    summary="Records behind a score value",
    url_name="kpi_value_records",
)
def value_records(request, value_id: int, query: Query[RecordsQuery]):
    """The records a metric value was computed from (``search`` in their text); a derived
    value lists its components instead (``component=<code>`` drills into one)."""
    if query.component:
        found = drill_component(request.user, value_id, query.component, text=query.search)
    else:
        found = drill(request.user, value_id, text=query.search)
    records = found.records if found.records is not None else RepScore.objects.none()
    page = paginate(records, query.page, query.page_size)
    return {
        "value_id": found.value.pk,
        "code": found.definition.get("code", ""),
        "name": found.name,
        "start": found.start,
        "end": found.end,
        "actual": found.actual if not found.code else None,
        "derived": found.derived,
        "components": [
            {
                "code": c.code,
                "name": c.name,
                "value": c.value,
                "value_id": c.value_id,
                "records_url": _records_url(c.value_id)
                if c.value_id
                else _records_url(found.value.pk, c.code),
            }
            for c in found.components
        ],
        "count": page["count"],
        "page": page["page"],
        "page_size": page["page_size"],
        "results": [record_row(obj, found.definition) for obj in page["results"]],
    }
