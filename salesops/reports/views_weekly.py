"""The weekly report page (SPEC A7): per rep and per team for an ISO week, its Excel
export (``?format=xlsx``, headers in Chinese) and a printable layout (the page's print
stylesheet; ``?print=1`` opens the print dialog). Filters as on the pipeline reports
(team, rep) plus the week; a bad filter answers 400 with the form's message. Visibility:
a rep's report covers themselves, a manager's their team subtree, a director's and an
admin's everyone."""

from __future__ import annotations

import tempfile

import xlsxwriter
from django import forms
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET

from salesops.activities.models import ActivityKind
from salesops.core import clock
from salesops.core.exports import FORMATS, export_filename

from .pipeline_common import ReportFilterForm, require_reader
from .views_pipeline import _render
from .weekly import parse_week, week_of, weekly_report


class WeeklyForm(ReportFilterForm):
    week = forms.CharField(
        required=False,
        label=_lazy("Week"),
        widget=forms.TextInput(attrs={"type": "week", "class": "form-control"}),
    )
    field_order = ["week", "team", "owner"]

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, user=user, **kwargs)
        del self.fields["product_line"]

    def clean_week(self):
        text = self.cleaned_data.get("week") or week_of(clock.today())
        try:
            parse_week(text)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        return text

    def first_day(self):
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return parse_week(data.get("week") or week_of(clock.today()))[0]


def _kinds():
    return list(ActivityKind.choices)


@login_required
@require_GET
def weekly_report_view(request):
    require_reader(request.user)
    form = WeeklyForm(request.GET or None, user=request.user)
    valid = form.is_valid() if form.is_bound else True
    first = form.first_day()
    report = weekly_report(first=first, owner_ids=form.owner_ids() if valid else [])
    if valid and request.GET.get("format") == "xlsx":
        return weekly_xlsx(report, form)
    context = {
        "report": report,
        "kinds": _kinds(),
        "week": report.week,
        "print": request.GET.get("print") == "1",
    }
    return _render(request, "reports/weekly_report.html", context, form)


# --- Excel ------------------------------------------------------------------------------------
def _rows(report):
    kinds = [k for k, _label in _kinds()]
    reps = []
    for rep in report.reps:
        f = rep.figures
        reps.append(
            [
                rep.user.label,
                rep.user.team.name if rep.user.team_id else "",
                f.activities,
                *[f.by_kind.get(k, 0) for k in kinds],
                f.effective,
                f.new_leads,
                f.deals_created,
                f.deals_created_amount,
                f.deals_won,
                f.won_amount,
                f.deals_lost,
                f.lost_amount,
                f.stage_changes,
                rep.forecast.commit,
                rep.forecast.best_case,
                rep.forecast.weighted,
                len(rep.reports),
                ", ".join(d.isoformat() for d in rep.missing),
            ]
        )
    teams = []
    for team in report.teams:
        f = team.figures
        teams.append(
            [
                team.team.name if team.team else _("No team"),
                team.reps,
                f.activities,
                *[f.by_kind.get(k, 0) for k in kinds],
                f.effective,
                f.new_leads,
                f.deals_created,
                f.deals_won,
                f.won_amount,
                f.deals_lost,
                f.lost_amount,
                f.stage_changes,
                team.forecast.commit,
                team.forecast.best_case,
                team.reports,
                team.missing,
            ]
        )
    daily = []
    for rep in report.reps:
        for r in rep.reports:
            daily.append(
                [
                    r.day.isoformat(),
                    rep.user.label,
                    r.done,
                    r.plans,
                    r.help_needed,
                    r.forecast_changes,
                ]
            )
    won = [
        [
            deal.name,
            deal.account.name,
            deal.owner.label,
            deal.amount,
            deal.closed_at.date().isoformat(),
        ]
        for deal in report.won
    ]
    return reps, teams, daily, won


def _headers():
    kinds = [str(label) for _k, label in _kinds()]
    reps = [
        _("Rep"),
        _("Team"),
        _("Activities"),
        *kinds,
        _("Effective touches"),
        _("New leads"),
        _("Deals created"),
        _("Amount created (CNY)"),
        _("Deals won"),
        _("Amount won (CNY)"),
        _("Deals lost"),
        _("Amount lost (CNY)"),
        _("Stage changes"),
        _("Commit"),
        _("Best case (incl. commit)"),
        _("Weighted pipeline"),
        _("Daily reports"),
        _("Missing daily reports"),
    ]
    teams = [
        _("Team"),
        _("Reps"),
        _("Activities"),
        *kinds,
        _("Effective touches"),
        _("New leads"),
        _("Deals created"),
        _("Deals won"),
        _("Amount won (CNY)"),
        _("Deals lost"),
        _("Amount lost (CNY)"),
        _("Stage changes"),
        _("Commit"),
        _("Best case (incl. commit)"),
        _("Daily reports"),
        _("Missing daily reports"),
    ]
    daily = [
        _("Day"),
        _("Rep"),
        _("What was done"),
        _("Plans"),
        _("Help needed"),
        _("Forecast changes"),
    ]
    won = [_("Deal"), _("Account"), _("Rep"), _("Amount (CNY)"), _("Won on")]
    titles = [_("By rep"), _("By team"), _("Daily reports"), _("Deals won")]
    return titles, [reps, teams, daily, won]


def weekly_xlsx(report, form) -> FileResponse:
    """The week as a workbook, headers in Chinese (zh-Hans) whatever the reader's
    language. Text cells are written with ``write_string``: a daily report starting with
    "=" stays text, never a formula."""
    with translation.override("zh-hans"):
        titles, headers = _headers()
        filters = [(_("Week"), report.week), *form.describe()]
        filters = [(str(a), str(b)) for a, b in filters]
    sheets = list(zip(titles, headers, _rows(report), strict=True))
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by FileResponse
    workbook = xlsxwriter.Workbook(handle, {"in_memory": False, "strings_to_formulas": False})
    bold = workbook.add_format({"bold": True})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    for title, header, rows in sheets:
        sheet = workbook.add_worksheet(str(title)[:31])
        for col, text in enumerate(header):
            sheet.write_string(0, col, str(text), bold)
            sheet.set_column(col, col, 40 if title == titles[2] and col >= 2 else 14)
        sheet.freeze_panes(1, 0)
        for row_no, row in enumerate(rows, start=1):
            for col, value in enumerate(row):
                if isinstance(value, bool) or value is None:
                    sheet.write_string(row_no, col, "" if value is None else str(value))
                elif isinstance(value, int | float):
                    sheet.write_number(row_no, col, value)
                elif hasattr(value, "as_tuple"):  # Decimal
                    sheet.write_number(row_no, col, float(value))
                else:
                    sheet.write_string(row_no, col, str(value), wrap)
    with translation.override("zh-hans"):
        sheet = workbook.add_worksheet(str(_("Filters"))[:31])
    for row_no, (label, value) in enumerate(filters):
        sheet.write_string(row_no, 0, label, bold)
        sheet.write_string(row_no, 1, value)
    workbook.close()
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=export_filename(f"weekly-report-{report.week}", "xlsx"),
        content_type=FORMATS["xlsx"],
    )
