"""The monthly dwell TOP10 report (SPEC L8), as a page and an Excel file."""

from __future__ import annotations

import datetime as dt
import tempfile

import xlsxwriter
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from salesops.core import orgsettings
from salesops.core.exports import FORMATS, export_filename

from .. import selectors
from .common import (
    _decorate,
    _sees_others,
)


# --- dwell report ---------------------------------------------------------------------------
def _dwell(request):
    month = (request.GET.get("month") or "").strip() or None
    error = ""
    try:
        first, _start, _end = selectors.month_bounds(month)
    except ValueError as exc:
        error = str(exc)
        month = None
        first, _start, _end = selectors.month_bounds(None)
    overall, by_team, by_owner = selectors.dwell_rows(request.user, first.strftime("%Y-%m"))
    _decorate([r.lead for r in overall])
    teams = sorted(by_team.items(), key=lambda kv: (kv[0] is None, getattr(kv[0], "path", "")))
    owners = sorted(by_owner.items(), key=lambda kv: (kv[0] is None, getattr(kv[0], "label", "")))
    return first, error, overall, teams, owners


def _dwell_xlsx(first: dt.date, overall, teams, owners):
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by FileResponse
    workbook = xlsxwriter.Workbook(handle, {"in_memory": False})
    sheet = workbook.add_worksheet(_("Dwell TOP10")[:31])
    bold = workbook.add_format({"bold": True})
    stamp = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    headers = [
        _("Group type"),
        _("Group"),
        _("Rank"),
        _("Lead ID"),
        _("Company"),
        _("Contact"),
        _("Owner"),
        _("Team"),
        _("Status"),
        _("Last progress"),
        _("Days without progress"),
    ]
    for col, header in enumerate(headers):
        sheet.write_string(0, col, header, bold)
        sheet.set_column(col, col, 14 if col not in (4, 1) else 28)
    sheet.freeze_panes(1, 0)
    tz = timezone.get_current_timezone()
    groups = [(_("Overall"), _("All"), overall)]
    groups += [(_("Team"), t.name if t else _("No team"), rows) for t, rows in teams]
    groups += [(_("Owner"), o.label if o else _("Pool"), rows) for o, rows in owners]
    row_no = 1
    for kind, name, rows in groups:
        for rank, row in enumerate(rows, start=1):
            lead = row.lead
            sheet.write_string(row_no, 0, str(kind))
            sheet.write_string(row_no, 1, str(name))
            sheet.write_number(row_no, 2, rank)
            sheet.write_number(row_no, 3, lead.pk)
            sheet.write_string(row_no, 4, lead.company)
            sheet.write_string(row_no, 5, lead.contact_name)
            sheet.write_string(row_no, 6, lead.owner.label if lead.owner else "")
            sheet.write_string(row_no, 7, lead.team.name if lead.team else "")
            sheet.write_string(row_no, 8, str(lead.get_status_display()))
            progressed = lead.progressed_at.astimezone(tz).replace(tzinfo=None, microsecond=0)
            sheet.write_datetime(row_no, 9, progressed, stamp)
            sheet.write_number(row_no, 10, row.days)
            row_no += 1
    workbook.close()
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=export_filename(f"lead-dwell-{first:%Y-%m}", "xlsx"),
        content_type=FORMATS["xlsx"],
    )


@login_required
@require_GET
def dwell_report(request):
    first, error, overall, teams, owners = _dwell(request)
    if request.GET.get("format") == "xlsx":
        return _dwell_xlsx(first, overall, teams, owners)
    context = {
        "month": first.strftime("%Y-%m"),
        "month_error": error,
        "overall": overall,
        "teams": teams,
        "owners": owners,
        "own_only": not _sees_others(request.user),
        "top_n": orgsettings.current().dwell_top_n,
    }
    return render(request, "leads/dwell_report.html", context)
