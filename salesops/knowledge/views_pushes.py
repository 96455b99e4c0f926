"""Push pages (SPEC N4): "My pushes" (a rep's list), one push (opening it marks it read;
the item's content, the study-note form and the close button) and "Team pushes" (a
manager's view of delivered / read / note / closed per rep)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_http_methods, require_POST

from salesops.core.exports import back_to, queryset_export_or_back

from . import push_selectors, pushes

PAGE_SIZE = 50


def _decorate(items):
    for push in items:
        push.state = pushes.state(push)
        push.state_label = pushes.state_label(push.state)
    return items


def item_url(item) -> str:
    """The knowledge item's own page, when the knowledge pages are installed."""
    try:
        return item.get_absolute_url()
    except NoReverseMatch:
        return ""


@login_required
@require_http_methods(["GET"])
def my_pushes(request):
    page = Paginator(push_selectors.my_pushes(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    _decorate(page.object_list)
    return render(
        request,
        "knowledge/pushes/my_pushes.html",
        {"page": page, "may_see_team": push_selectors.may_see_team(request.user)},
    )


def _detail(request, push, *, note_error: str = "", note_text=None, status=200):
    push.state = pushes.state(push)
    push.state_label = pushes.state_label(push.state)
    context = {
        "push": push,
        "item": push.item,
        "item_url": item_url(push.item),
        "mine": push.user_id == request.user.pk,
        "note_error": note_error,
        "note_text": push.note if note_text is None else note_text,
        "note_max": pushes.NOTE_MAX,
    }
    return render(request, "knowledge/pushes/push_detail.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def push_detail(request, pk):
    push = push_selectors.push_for(request.user, pk)
    push = pushes.push_open(actor=request.user, push=push)
    return _detail(request, push)


def _message(exc: ValidationError) -> str:
    return (
        " ".join(exc.message_dict.get("note", exc.messages))
        if exc.error_dict
        else " ".join(exc.messages)
    )


@login_required
@require_POST
def push_note(request, pk):
    push = push_selectors.push_for(request.user, pk)
    text = request.POST.get("note", "")
    try:
        pushes.push_submit_note(actor=request.user, push=push, note=text)
    except PermissionDenied:
        raise
    except ValidationError as exc:
        return _detail(request, push, note_error=_message(exc), note_text=text, status=400)
    messages.success(request, _("Your study note is saved."))
    return redirect("pushes:detail", pk=push.pk)


@login_required
@require_POST
def push_close(request, pk):
    push = push_selectors.push_for(request.user, pk)
    try:
        pushes.push_close(actor=request.user, push=push)
    except ValidationError as exc:
        return _detail(request, push, note_error=_message(exc), status=400)
    messages.success(request, _("Closed: “%(title)s”.") % {"title": push.item.title})
    return redirect("pushes:mine")


def _team_rep(request) -> int | None:
    if not push_selectors.may_see_team(request.user):
        raise PermissionDenied(_("Team pushes are for managers, directors and admins."))
    rep_id = request.GET.get("rep")
    return int(rep_id) if rep_id and rep_id.isdigit() else None


TEAM_COLUMNS = [
    (_l("person"), "user.label"),
    (_l("knowledge item"), "item.title"),
    (_l("reason"), "reason"),
    (_l("created at"), "created_at"),
    (_l("delivered at"), "delivered_at"),
    (_l("read at"), "read_at"),
    (_l("study note required"), "requires_note"),
    (_l("study note"), "note"),
    (_l("note submitted at"), "note_at"),
    (_l("closed at"), "closed_at"),
]


@login_required
@require_http_methods(["GET"])
def team_export(request, fmt):
    """The team's pushes the page lists (its rep filter), as CSV or Excel."""
    rows = push_selectors.team_pushes(request.user, rep_id=_team_rep(request))
    back = back_to(request, "pushes:team")
    return queryset_export_or_back(request, rows, TEAM_COLUMNS, fmt, "team-pushes", back)


@login_required
@require_http_methods(["GET"])
def team_pushes(request):
    rep_id = _team_rep(request)
    page = Paginator(push_selectors.team_pushes(request.user, rep_id=rep_id), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    _decorate(page.object_list)
    context = {
        "summary": push_selectors.team_summary(request.user),
        "page": page,
        "rep_id": rep_id,
        "mine_url": reverse("pushes:mine"),
    }
    return render(request, "knowledge/pushes/team_pushes.html", context)
