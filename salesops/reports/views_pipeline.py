"""The pipeline reports: conversion (D5), forecast and its accuracy (D6), qualified
pipeline (D8). Each page takes its filters from the query string (a bad one answers
400 with the form's message), shows a chart, a table and the definitions, and exports
the same table as an Excel file (``?format=xlsx``)."""

from __future__ import annotations

import datetime as dt
import tempfile

import xlsxwriter
from django import forms
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET

from salesops.core import clock
from salesops.core.exports import FORMATS, export_filename
from salesops.core.forms import DateInput

from . import forecast_snapshots
from .pipeline_common import (
    PeriodMixin,
    PipelineFilterForm,
    ReportFilterForm,
    form_errors,
    require_reader,
)
from .pipeline_conversion import conversion
from .pipeline_forecast import CATEGORIES, GRANULARITIES, forecast, period_start
from .pipeline_qualified import qualified_report


def _xlsx(stem: str, sheets: list[tuple[str, list, list[list]]], filters) -> FileResponse:
    """One workbook: the filters in force, then one sheet per (title, headers, rows)."""
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by FileResponse
    workbook = xlsxwriter.Workbook(handle, {"in_memory": False})
    bold = workbook.add_format({"bold": True})
    for title, headers, rows in sheets:
        sheet = workbook.add_worksheet(str(title)[:31])
        for col, header in enumerate(headers):
            sheet.write_string(0, col, str(header), bold)
            sheet.set_column(col, col, 16)
        sheet.freeze_panes(1, 0)
        for row_no, row in enumerate(rows, start=1):
            for col, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    sheet.write_number(row_no, col, value)
                elif hasattr(value, "as_tuple"):  # Decimal
                    sheet.write_number(row_no, col, float(value))
                else:
                    sheet.write_string(row_no, col, str(value))
    sheet = workbook.add_worksheet(_("Filters")[:31])
    for row_no, (label, value) in enumerate(filters):
        sheet.write_string(row_no, 0, str(label), bold)
        sheet.write_string(row_no, 1, str(value))
    workbook.close()
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=export_filename(stem, "xlsx"),
        content_type=FORMATS["xlsx"],
    )


def _render(request, template, context, form):
    status = 400 if form.errors else 200
    context.update({"form": form, "errors": form_errors(form), "query": _query(request)})
    return render(request, template, context, status=status)


def _query(request) -> str:
    params = request.GET.copy()
    params.pop("format", None)
    return params.urlencode()


# --- conversion (D5) -----------------------------------------------------------------------
class ConversionForm(PeriodMixin, PipelineFilterForm):
    field_order = ["pipeline", "team", "owner", "product_line", "start", "end"]


@login_required
@require_GET
def pipeline_conversion(request):
    require_reader(request.user)
    form = ConversionForm(request.GET or None, user=request.user)
    valid = form.is_valid() if form.is_bound else True
    pipeline = form.chosen_pipeline() if valid else None
    period = form.period()
    report = conversion(
        pipeline=pipeline,
        period=period,
        owner_ids=form.owner_ids() if valid else [],
        product_line=form.cleaned_data.get("product_line", "") if valid and form.is_bound else "",
    )
    headers = [
        _("Stage"),
        _("Entered"),
        _("Moved forward"),
        _("Conversion to next stage (%)"),
        _("Won"),
        _("Conversion to won (%)"),
        _("Finished stays"),
        _("Average working days"),
        _("Median working days"),
        _("Bottleneck"),
    ]
    rows = [
        [
            row.stage.name,
            row.entered,
            row.forward,
            row.conversion,
            row.won,
            row.win_rate,
            row.stays,
            row.avg_days,
            row.median_days,
            _("yes") if row.bottleneck else "",
        ]
        for row in report.rows
    ]
    if valid and request.GET.get("format") == "xlsx":
        filters = [(_("Pipeline"), str(pipeline or "")), (_("Period"), _period_text(period))]
        return _xlsx(
            "pipeline-conversion",
            [(_("Conversion"), headers, rows)],
            filters + form.describe(),
        )
    context = {
        "report": report,
        "period": period,
        "funnel": {"data": report.funnel()},
        "headers": headers,
    }
    return _render(request, "reports/pipeline_conversion.html", context, form)


def _period_text(period) -> str:
    return f"{period.start.isoformat()} – {period.end.isoformat()}"


# --- forecast (D6) -------------------------------------------------------------------------
class ForecastForm(ReportFilterForm):
    granularity = forms.ChoiceField(
        choices=GRANULARITIES,
        required=False,
        label=_lazy("Period"),
        error_messages={"invalid_choice": _lazy("Pick month or quarter.")},
    )
    start = forms.DateField(
        required=False,
        label=_lazy("Closing from"),
        widget=DateInput(),
        error_messages={"invalid": _lazy("Enter the first close date as YYYY-MM-DD.")},
    )
    end = forms.DateField(
        required=False,
        label=_lazy("Closing until"),
        widget=DateInput(),
        error_messages={"invalid": _lazy("Enter the last close date as YYYY-MM-DD.")},
    )
    month = forms.DateField(
        required=False,
        label=_lazy("Accuracy of month"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        error_messages={"invalid": _lazy("Enter the month as YYYY-MM.")},
    )
    weeks = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=52,
        label=_lazy("Snapshot weeks before the month's end"),
        widget=forms.NumberInput(attrs={"placeholder": "4"}),
        error_messages={
            "invalid": _lazy("Enter a whole number of weeks (0–52)."),
            "min_value": _lazy("Enter a whole number of weeks (0–52)."),
            "max_value": _lazy("Enter a whole number of weeks (0–52)."),
        },
    )

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("The end date must be on or after the start date."))
        return data


DEFAULT_ACCURACY_WEEKS = 4


@login_required
@require_GET
def pipeline_forecast(request):
    require_reader(request.user, finance=True)
    form = ForecastForm(request.GET or None, user=request.user)
    valid = form.is_valid() if form.is_bound else True
    data = form.cleaned_data if valid and form.is_bound else {}
    granularity = data.get("granularity") or "month"
    today = clock.today()
    start = data.get("start") or period_start(today, granularity)
    end = data.get("end")
    owner_ids = form.owner_ids() if valid else []
    report = forecast(
        owner_ids=owner_ids,
        product_line=data.get("product_line", ""),
        granularity=granularity,
        start=start,
        end=end,
    )
    last_month = period_start(period_start(today, "month") - dt.timedelta(days=1), "month")
    month = data.get("month") or last_month
    weeks = data.get("weeks") if data.get("weeks") is not None else DEFAULT_ACCURACY_WEEKS
    accuracy = forecast_snapshots.accuracy_report(
        month=period_start(month, "month"), weeks=weeks, owner_ids=owner_ids
    )
    if valid and request.GET.get("format") == "xlsx":
        return _forecast_xlsx(report, accuracy, form)
    context = {
        "report": report,
        "accuracy": accuracy,
        "categories": CATEGORIES,
        "chart": report.chart(),
        "period_rows": [(label, f) for _s, label, f in report.periods],
        "team_rows": [(t.name if t else _("No team"), f) for t, f in report.teams],
        "owner_rows": [(user.label, f) for user, f in report.owners],
        "start": start,
        "end": end,
        "granularity": granularity,
    }
    return _render(request, "reports/pipeline_forecast.html", context, form)


def _figures_row(label, figures) -> list:
    return [
        label,
        figures.deals,
        figures.amount,
        figures.weighted,
        figures.commit,
        figures.best_case,
        figures.pipeline,
        figures.omitted,
    ]


def _forecast_xlsx(report, accuracy, form):
    headers = [
        _("Group"),
        _("Deals"),
        _("Amount"),
        _("Weighted"),
        _("Commit"),
        _("Best case (incl. commit)"),
        _("Pipeline"),
        _("Omitted"),
    ]
    periods = [_figures_row(label, f) for _s, label, f in report.periods]
    owners = [_figures_row(user.label, f) for user, f in report.owners]
    teams = [_figures_row(t.name if t else _("No team"), f) for t, f in report.teams]
    acc_headers = [_("Group"), _("Forecast (weighted)"), _("Won"), _("Accuracy (%)")]
    acc_rows = [[r.label, r.forecast, r.actual, r.accuracy] for r in accuracy.teams]
    acc_rows += [[r.label, r.forecast, r.actual, r.accuracy] for r in accuracy.owners]
    filters = form.describe() + [
        (_("Accuracy of month"), accuracy.month.strftime("%Y-%m")),
        (_("Snapshot taken on"), accuracy.taken_on.isoformat() if accuracy.taken_on else "—"),
    ]
    return _xlsx(
        "pipeline-forecast",
        [
            (_("By period"), headers, periods),
            (_("By team"), headers, teams),
            (_("By rep"), headers, owners),
            (_("Accuracy"), acc_headers, acc_rows),
        ],
        filters,
    )


# --- qualified pipeline (D8) ---------------------------------------------------------------
class QualifiedForm(ReportFilterForm):
    on = forms.DateField(
        required=False,
        label=_lazy("As of"),
        widget=DateInput(),
        error_messages={"invalid": _lazy("Enter the day as YYYY-MM-DD.")},
    )

    def clean_on(self):
        day = self.cleaned_data.get("on")
        if day and day > clock.today():
            raise forms.ValidationError(_("Pick today or a day in the past."))
        return day


@login_required
@require_GET
def pipeline_qualified(request):
    require_reader(request.user)
    form = QualifiedForm(request.GET or None, user=request.user)
    valid = form.is_valid() if form.is_bound else True
    data = form.cleaned_data if valid and form.is_bound else {}
    report = qualified_report(
        owner_ids=form.owner_ids() if valid else [],
        product_line=data.get("product_line", ""),
        on=data.get("on"),
    )
    headers = [
        _("Group"),
        _("Qualified deals"),
        _("Qualified amount"),
        _("Qualified weighted"),
        _("Open deals"),
        _("Open amount"),
        _("Qualified share (%)"),
    ]

    def line(label, f):
        return [label, f.deals, f.amount, f.weighted, f.open_deals, f.open_amount, f.share]

    if valid and request.GET.get("format") == "xlsx":
        teams = [line(t.name if t else _("No team"), f) for t, f in report.teams]
        owners = [line(u.label, f) for u, f in report.owners]
        return _xlsx(
            "pipeline-qualified",
            [(_("By team"), headers, teams), (_("By rep"), headers, owners)],
            form.describe(),
        )
    chart = {
        "labels": [u.label for u, _f in report.owners],
        "qualified": [float(f.amount) for _u, f in report.owners],
        "other": [float(f.open_amount - f.amount) for _u, f in report.owners],
        "names": [str(_("Qualified")), str(_("Not yet qualified"))],
    }
    tables = [
        (_("By team"), [(t.name if t else _("No team"), f) for t, f in report.teams], "q-teams"),
        (_("By rep"), [(u.label, f) for u, f in report.owners], "q-owners"),
    ]
    context = {"report": report, "chart": chart, "on": data.get("on"), "tables": tables}
    return _render(request, "reports/pipeline_qualified.html", context, form)
