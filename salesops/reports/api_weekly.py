"""The weekly report over the API (/api/v1/reports/weekly): the figures, filters and
visibility of the page (``views_weekly``); a bad filter answers 422 naming the field."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from ninja import Router

from salesops.activities.figures import Figures

from .pipeline_common import require_reader
from .pipeline_forecast import Figures as ForecastFigures
from .views_weekly import WeeklyForm
from .weekly import weekly_report

router = Router(tags=["reports"])


def _figures(f: Figures) -> dict:
    return f.as_json()


def _forecast(f: ForecastFigures) -> dict:
    return {"commit": f.commit, "best_case": f.best_case, "weighted": f.weighted}


@router.get(
    "/reports/weekly",
    response=dict,
    summary="Weekly report per rep and team (A7)",
    description="Query parameters as on the page: ``week`` (YYYY-Www, this week if not "
    "given), ``team`` and ``owner`` (ids within your scope). Totals, the daily reports' "
    "texts, the forecast roll-up of the week's quarter and the missing daily reports.",
)
def get_weekly_report(request):
    require_reader(request.user)
    form = WeeklyForm(request.GET or None, user=request.user)
    if form.is_bound and not form.is_valid():
        raise ValidationError({k: [str(e) for e in v] for k, v in form.errors.items()})
    report = weekly_report(first=form.first_day(), owner_ids=form.owner_ids())
    return {
        "week": report.week,
        "first": report.first,
        "last": report.last,
        "workdays": report.workdays,
        "quarter": report.quarter,
        "total": _figures(report.total),
        "forecast": _forecast(report.forecast_total),
        "reps": [
            {
                "id": rep.user.pk,
                "name": rep.user.label,
                "team_id": rep.user.team_id,
                "figures": _figures(rep.figures),
                "forecast": _forecast(rep.forecast),
                "missing": rep.missing,
                "reports": [
                    {
                        "id": r.pk,
                        "day": r.day,
                        "done": r.done,
                        "plans": r.plans,
                        "help_needed": r.help_needed,
                        "forecast_changes": r.forecast_changes,
                    }
                    for r in rep.reports
                ],
            }
            for rep in report.reps
        ],
        "teams": [
            {
                "id": t.team.pk if t.team else None,
                "name": t.team.name if t.team else None,
                "reps": t.reps,
                "figures": _figures(t.figures),
                "forecast": _forecast(t.forecast),
                "reports": t.reports,
                "missing": t.missing,
            }
            for t in report.teams
        ],
        "won": [
            {"id": d.pk, "name": d.name, "owner_id": d.owner_id, "amount": d.amount}
            for d in report.won
        ],
    }
