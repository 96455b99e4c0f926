"""Data-credibility lists (K9): the month's red list (everyone), the black list (reviewers;
nothing of it reaches anyone else, not even in the HTML), each visible rep's figures with
a drill-down to the corrected leads and late events, and an export for reviewers."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from salesops.core import clock
from salesops.core.exports import ExportTooLarge, export_response

from .. import credibility, permissions
from ..forms_review import MonthForm
from ..models import CredibilityEntry


def _month(request):
    form = MonthForm(request.GET or None)
    month = None
    if form.is_bound and form.is_valid():
        month = form.cleaned_data["month"]
    if month is None:
        available = credibility.months_available()
        month = available[0] if available else credibility.previous_month(clock.today())
    return form, month


def _search(rows, q: str):
    if not q:
        return rows
    return rows.filter(
        Q(user__display_name__icontains=q)
        | Q(user__username__icontains=q)
        | Q(team__name__icontains=q)
    )


@login_required
@require_GET
def credibility_page(request):
    if not permissions.has_kpi(request.user):
        raise PermissionDenied
    form, month = _month(request)
    q = (form.cleaned_data.get("q") or "").strip() if form.is_bound and form.is_valid() else ""
    figures = _search(credibility.visible_entries(request.user, month), q).order_by(
        "user__display_name", "user__username"
    )
    paginator = Paginator(figures, settings.SALESOPS["PAGE_SIZE"])
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    sees_black = permissions.sees_black_list(request.user)
    rows = [(entry, credibility.shown_list(request.user, entry)) for entry in page.object_list]
    context = {
        "form": form,
        "month": month,
        "months": credibility.months_available(),
        "red": credibility.red_list(request.user, month).order_by("user__display_name"),
        "sees_black": sees_black,
        "black": (
            credibility.black_list(request.user, month).order_by("user__display_name")
            if sees_black
            else []
        ),
        "rows": rows,
        "page_obj": page,
        "q": q,
        "can_export": permissions.is_reviewer(request.user),
        "policy": credibility.GrowthPolicy.current(),
    }
    return render(request, "kpi/credibility/page.html", context)


@login_required
@require_GET
def credibility_detail(request, entry_id: int):
    entry = CredibilityEntry.objects.select_related("user", "team").filter(pk=entry_id).first()
    if entry is None or not permissions.can_see_user(request.user, entry.user_id):
        raise Http404
    context = {
        "entry": entry,
        "shown_list": credibility.shown_list(request.user, entry),
        "detail": credibility.drill_down(entry),
    }
    return render(request, "kpi/credibility/detail.html", context)


def export_columns():
    return [
        (_("Month"), lambda e: e.month.strftime("%Y-%m")),
        (_("Rep"), "user.label"),
        (_("Team"), "team.name"),
        (_("Leads"), "leads"),
        (_("Source corrected"), "corrected"),
        (_("Source accuracy (%)"), "source_accuracy"),
        (_("Level-qualifying events"), "level_events"),
        (_("Average days to level update"), "level_days"),
        (_("List"), "listed"),
    ]


@login_required
@require_GET
def credibility_export(request, fmt: str):
    if not permissions.is_reviewer(request.user):
        raise PermissionDenied(_("Only managers and directors export the credibility lists."))
    form, month = _month(request)
    q = (form.cleaned_data.get("q") or "").strip() if form.is_bound and form.is_valid() else ""
    rows = _search(credibility.visible_entries(request.user, month), q).order_by(
        "user__display_name"
    )
    try:
        return export_response(rows, export_columns(), fmt, f"credibility-{month:%Y-%m}")
    except ExportTooLarge as exc:
        raise PermissionDenied(" ".join(exc.messages)) from exc


urlpatterns = [
    path("credibility/", credibility_page, name="credibility"),
    path("credibility/<int:entry_id>/", credibility_detail, name="credibility_detail"),
    path("credibility/export/<str:fmt>/", credibility_export, name="credibility_export"),
]
