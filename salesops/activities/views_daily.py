"""Daily report pages: the form (one phone screen, prefilled from the day's activities),
the list of the reports a user may read and one report. Visibility as for activities: a
report the user may not see is a 404."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from salesops.core.exports import ExportTooLarge, export_response
from salesops.core.forms import attach_service_errors
from salesops.org import selectors as org_selectors
from salesops.org.models import Role

from . import daily_reports
from . import figures as day_figures
from .forms_daily import DailyReportForm
from .models import DAILY_REPORT_TEXT_MAX, ActivityKind, DailyReport

LIST_LIMIT = 100
WEEKLY_ROLES = (Role.REP, Role.MANAGER, Role.DIRECTOR, Role.ADMIN)


def _chosen_day(value, days: list[dt.date]) -> dt.date:
    try:
        day = dt.date.fromisoformat(value or "")
    except ValueError:
        return days[0]
    return day if day in days else days[0]


def _figures_context(owner_id: int, day: dt.date) -> dict:
    found = day_figures.figures(day, day, [owner_id]).get(owner_id, day_figures.Figures())
    kinds = dict(ActivityKind.choices)
    return {
        "figures": found,
        "kind_rows": [(kinds[k], n) for k, n in found.by_kind.items() if k in kinds],
        "detail": day_figures.day_detail(owner_id, day),
    }


@login_required
@require_http_methods(["GET", "POST"])
def daily_report(request):
    """Write (or rewrite) my report of today or of the previous working day."""
    if not daily_reports.can_write(request.user):
        raise PermissionDenied(_("Your role can read daily reports but not write them."))
    days = daily_reports.writable_days()
    source = request.POST if request.method == "POST" else request.GET
    day = _chosen_day(source.get("day"), days)
    existing = daily_reports.own_report(request.user, day)
    status = 200
    if request.method == "POST":
        form = DailyReportForm(request.POST, days=days)
        if form.is_valid():
            data = form.cleaned_data
            try:
                report = daily_reports.daily_report_submit(
                    actor=request.user,
                    day=data["day"],
                    done=data["done"],
                    plans=data["plans"],
                    help_needed=data["help_needed"],
                    forecast_changes=data["forecast_changes"],
                )
            except ValidationError as exc:
                attach_service_errors(form, exc)
            else:
                messages.success(request, _("Daily report sent. Your manager sees it now."))
                return redirect(report.get_absolute_url())
        status = 400
    else:
        initial = {"day": day.isoformat()}
        if existing is not None:
            initial.update({name: getattr(existing, name) for name in daily_reports.TEXT_FIELDS})
        else:
            initial["done"] = daily_reports.prefill_done(request.user.pk, day)
        form = DailyReportForm(initial=initial, days=days)
    context = {
        "form": form,
        "day": day,
        "days": days,
        "existing": existing,
        "text_max": DAILY_REPORT_TEXT_MAX,
        **_figures_context(request.user.pk, day),
    }
    return render(request, "activities/daily/form.html", context, status=status)


LIST_FILTERS = ("q", "owner", "date_from", "date_to", "help")
EXPORT_COLUMNS = [
    (gettext_lazy("Day"), "day"),
    (gettext_lazy("Rep"), "owner.label"),
    (gettext_lazy("What was done"), "done"),
    (gettext_lazy("Plans"), "plans"),
    (gettext_lazy("Help needed"), "help_needed"),
    (gettext_lazy("Forecast changes"), "forecast_changes"),
    (gettext_lazy("Activities"), lambda r: (r.snapshot or {}).get("activities", 0)),
    (gettext_lazy("Effective touches"), lambda r: (r.snapshot or {}).get("effective", 0)),
    (gettext_lazy("Sent at"), "submitted_at"),
]


def _filters(request) -> dict:
    return {k: v for k, v in request.GET.items() if k in LIST_FILTERS and v}


@login_required
@require_GET
def daily_report_list(request):
    """The reports I may read (mine; my team's for a manager), newest first; a bad filter
    answers 400 with the list empty and the reason shown."""
    fs = daily_reports.daily_report_filterset(user=request.user, data=_filters(request))
    valid = fs.is_valid()
    reports = list(fs.qs[:LIST_LIMIT]) if valid else []
    owners = org_selectors.visible_users(request.user).order_by("username")
    context = {
        "reports": reports,
        "owners": owners,
        "owner": request.GET.get("owner") or "",
        "filter_errors": [] if valid else [e for errs in fs.errors.values() for e in errs],
        "query": request.GET.urlencode(),
        "can_write": daily_reports.can_write(request.user),
        # the roles the weekly report (reports app, above this one) opens for
        "reads_weekly": request.user.is_superuser or request.user.role in WEEKLY_ROLES,
    }
    return render(request, "activities/daily/list.html", context, status=200 if valid else 400)


@login_required
@require_GET
def daily_report_export(request, fmt):
    fs = daily_reports.daily_report_filterset(user=request.user, data=_filters(request))
    back = reverse("activities:daily_report_list") + (
        f"?{request.GET.urlencode()}" if request.GET else ""
    )
    if not fs.is_valid():
        messages.error(request, _("The filters are not valid; fix them and export again."))
        return redirect(back)
    try:
        return export_response(fs.qs, EXPORT_COLUMNS, fmt, "daily-reports")
    except ExportTooLarge as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back)


@login_required
@require_GET
def daily_report_detail(request, pk: int):
    try:
        report = daily_reports.daily_report_get(user=request.user, pk=pk)
    except DailyReport.DoesNotExist:
        raise Http404 from None
    kinds = dict(ActivityKind.choices)
    snapshot = day_figures.Figures.from_json(report.snapshot or {})
    context = {
        "report": report,
        "snapshot": snapshot,
        "kind_rows": [(kinds[k], n) for k, n in snapshot.by_kind.items() if k in kinds],
        "editable": report.owner_id == request.user.pk
        and report.day in daily_reports.writable_days(),
    }
    return render(request, "activities/daily/detail.html", context)
