"""Mentor pairs (I5): the list (search by name, pagination, export) for configurers and,
read-only, for managers (their team's pairs); adding and changing for configurers."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from salesops.core import clock
from salesops.core.exports import ExportTooLarge, export_response
from salesops.core.history import history_entries

from .. import mentors, permissions
from ..forms_policy import MentorPairForm

STATES = (
    ("current", gettext_lazy("Current")),
    ("upcoming", gettext_lazy("Upcoming")),
    ("ended", gettext_lazy("Ended")),
)
EXPORT_COLUMNS = [
    (gettext_lazy("mentor"), "mentor.label"),
    (gettext_lazy("mentor's team"), "mentor.team.name"),
    (gettext_lazy("mentee"), "mentee.label"),
    (gettext_lazy("mentee's team"), "mentee.team.name"),
    (gettext_lazy("from"), "starts_on"),
    (gettext_lazy("until"), "ends_on"),
    (gettext_lazy("note"), "note"),
]


@login_required
@require_GET
def mentor_list(request):
    mentors.require_viewer(request.user)
    query = request.GET.get("q", "").strip()[:100]
    state = request.GET.get("state", "")[:10]
    qs = mentors.pairs_list(request.user, q=query, state=state)
    fmt = request.GET.get("export")
    if fmt:
        try:
            return export_response(qs, EXPORT_COLUMNS, fmt, "mentor-pairs")
        except ExportTooLarge as exc:
            messages.error(request, " ".join(exc.messages))
    paginator = Paginator(qs, settings.SALESOPS["PAGE_SIZE"])
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    context = {
        "page_obj": page,
        "rows": page.object_list,
        "query": query,
        "state": state,
        "states": STATES,
        "today": clock.today(),
        "can_edit": permissions.can_configure(request.user),
    }
    return render(request, "incentives/mentors/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def mentor_new(request):
    mentors.require_configurer(request.user)
    form = MentorPairForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                mentors.create_pair(by=request.user, **form.service_data())
            except ValidationError as exc:
                form.attach_errors(exc.message_dict)
            else:
                messages.success(request, _("Mentor pair added."))
                return redirect("incentives:mentor_list")
    context = {"form": form, "pair": None}
    return render(request, "incentives/mentors/form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def mentor_edit(request, pk: int):
    """Change a pair; ``end`` in the POST ends it today."""
    mentors.require_configurer(request.user)
    pair = get_object_or_404(mentors.visible_pairs(request.user), pk=pk)
    if request.method == "POST" and "end" in request.POST:
        try:
            mentors.end_pair(by=request.user, pair=pair)
        except ValidationError as exc:
            for text in exc.messages:
                messages.error(request, text)
            return redirect("incentives:mentor_edit", pk=pair.pk)
        messages.success(request, _("Mentor pair ended today."))
        return redirect("incentives:mentor_list")
    form = MentorPairForm(request.POST or None, pair=pair)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.service_data()
            changed = {key: data[key] for key in form.changed_data if key in data}
            try:
                mentors.update_pair(by=request.user, pair=pair, **changed)
            except ValidationError as exc:
                form.attach_errors(exc.message_dict)
            else:
                messages.success(request, _("Mentor pair saved."))
                return redirect("incentives:mentor_list")
    context = {"form": form, "pair": pair, "entries": history_entries(pair)}
    return render(request, "incentives/mentors/form.html", context, status=status)


urlpatterns = [
    path("mentors/", mentor_list, name="mentor_list"),
    path("mentors/new/", mentor_new, name="mentor_new"),
    path("mentors/<int:pk>/", mentor_edit, name="mentor_edit"),
]
