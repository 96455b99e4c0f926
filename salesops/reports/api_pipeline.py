"""The pipeline reports over the API: the same figures, filters and visibility as the pages
(``views_pipeline``); a bad filter answers 422 naming the field."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from ninja import Router

from salesops.core import clock

from . import forecast_snapshots
from .pipeline_common import require_reader
from .pipeline_conversion import conversion
from .pipeline_forecast import forecast as forecast_report
from .pipeline_forecast import period_start
from .pipeline_qualified import qualified_report
from .views_pipeline import DEFAULT_ACCURACY_WEEKS, ConversionForm, ForecastForm, QualifiedForm

router = Router(tags=["reports"])

FILTERS = (
    "Query parameters as on the page: ``team`` and ``owner`` (ids within your scope), "
    "``product_line`` (a code of the list)"
)


def _valid(form) -> dict:
    if form.is_bound and not form.is_valid():
        raise ValidationError(
            {name: [str(e) for e in errors] for name, errors in form.errors.items()}
        )
    return form.cleaned_data if form.is_bound else {}


def _figures(f) -> dict:
    return {
        "deals": f.deals,
        "amount": f.amount,
        "weighted": f.weighted,
        "commit": f.commit,
        "best_case": f.best_case,
        "pipeline": f.pipeline,
        "omitted": f.omitted,
    }


@router.get(
    "/reports/pipeline/conversion",
    response=dict,
    summary="Stage conversion, time in stage and the bottleneck (D5)",
    description=FILTERS + ", ``pipeline`` (id; the default one if not given), ``start`` and "
    "``end`` (YYYY-MM-DD, the last 365 days if not given). Definitions as on the page.",
)
def get_pipeline_conversion(request):
    require_reader(request.user)
    form = ConversionForm(request.GET or None, user=request.user)
    data = _valid(form)
    pipeline, period = form.chosen_pipeline(), form.period()
    report = conversion(
        pipeline=pipeline,
        period=period,
        owner_ids=form.owner_ids(),
        product_line=data.get("product_line", ""),
    )
    return {
        "pipeline_id": getattr(pipeline, "pk", None),
        "start": period.start,
        "end": period.end,
        "stages": [
            {
                "stage_id": row.stage.pk,
                "code": row.stage.code,
                "name": row.stage.name,
                "entered": row.entered,
                "moved_forward": row.forward,
                "conversion_pct": row.conversion,
                "won": row.won,
                "win_rate_pct": row.win_rate,
                "finished_stays": row.stays,
                "average_working_days": row.avg_days,
                "median_working_days": row.median_days,
                "bottleneck": row.bottleneck,
            }
            for row in report.rows
        ],
        "won": report.won_entered,
        "lost": report.lost_entered,
        "bottleneck_stage_id": report.bottleneck.stage.pk if report.bottleneck else None,
    }


@router.get(
    "/reports/pipeline/forecast",
    response=dict,
    summary="Weighted pipeline by close period and commit category, and its accuracy (D6)",
    description=FILTERS + ", ``granularity`` (month|quarter), ``start``/``end`` (close "
    "dates), ``month`` (YYYY-MM) and ``weeks`` for the accuracy of a closed month. "
    "accuracy = max(0, 1 − |won − forecast| ÷ won).",
)
def get_pipeline_forecast(request):
    require_reader(request.user, finance=True)
    form = ForecastForm(request.GET or None, user=request.user)
    data = _valid(form)
    granularity = data.get("granularity") or "month"
    today = clock.today()
    owner_ids = form.owner_ids()
    report = forecast_report(
        owner_ids=owner_ids,
        product_line=data.get("product_line", ""),
        granularity=granularity,
        start=data.get("start") or period_start(today, granularity),
        end=data.get("end"),
    )
    last_month = period_start(period_start(today, "month") - dt.timedelta(days=1), "month")
    weeks = data.get("weeks") if data.get("weeks") is not None else DEFAULT_ACCURACY_WEEKS
    accuracy = forecast_snapshots.accuracy_report(
        month=period_start(data.get("month") or last_month, "month"),
        weeks=weeks,
        owner_ids=owner_ids,
    )

    def acc(row):
        return {
            "forecast": row.forecast,
            "won": row.actual,
            "accuracy_pct": row.accuracy,
        }

    return {
        "granularity": granularity,
        "total": _figures(report.total),
        "periods": [
            {"start": start, "label": label, **_figures(f)} for start, label, f in report.periods
        ],
        "teams": [
            {"team_id": getattr(t, "pk", None), "name": getattr(t, "name", ""), **_figures(f)}
            for t, f in report.teams
        ],
        "owners": [{"owner_id": u.pk, "name": u.label, **_figures(f)} for u, f in report.owners],
        "accuracy": {
            "month": accuracy.month,
            "weeks": accuracy.weeks,
            "snapshot_taken_on": accuracy.taken_on,
            "total": acc(accuracy.total) if accuracy.total else None,
            "teams": [{"team_id": r.team.pk, "name": r.label, **acc(r)} for r in accuracy.teams],
            "owners": [
                {"owner_id": getattr(r.owner, "pk", None), "name": r.label, **acc(r)}
                for r in accuracy.owners
            ],
        },
    }


@router.get(
    "/reports/pipeline/qualified",
    response=dict,
    summary="Qualified pipeline per rep and team (D8)",
    description=FILTERS + ", ``on`` (YYYY-MM-DD, today if not given).",
)
def get_pipeline_qualified(request):
    require_reader(request.user)
    form = QualifiedForm(request.GET or None, user=request.user)
    data = _valid(form)
    report = qualified_report(
        owner_ids=form.owner_ids(), product_line=data.get("product_line", ""), on=data.get("on")
    )

    def figures(f):
        return {
            "qualified_deals": f.deals,
            "qualified_amount": f.amount,
            "qualified_weighted": f.weighted,
            "open_deals": f.open_deals,
            "open_amount": f.open_amount,
            "qualified_share_pct": f.share,
        }

    return {
        "on": data.get("on"),
        "total": figures(report.total),
        "teams": [
            {"team_id": getattr(t, "pk", None), "name": getattr(t, "name", ""), **figures(f)}
            for t, f in report.teams
        ],
        "owners": [{"owner_id": u.pk, "name": u.label, **figures(f)} for u, f in report.owners],
        "missing": report.missing,
    }
