"""Pages: the kanban board (D3). One pipeline at a time (the user's default one unless
``?pipeline=`` says otherwise), filtered by team, owner, product line and a search; the
cards come from :mod:`..board` in a bounded number of queries. Dragging a card to another
column opens the move page for that stage (static ``web/kanban.js``)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from salesops.core import choices
from salesops.core.listing import sees_owners
from salesops.core.visibility import editable_owner_ids, visible_users
from salesops.org.models import Team

from .. import approvals, board, selectors
from ..filters import DealFilterSet
from ..models import Deal

FILTERS = ("team", "owner", "product_line", "q")


def _pipeline_for(user, value: str, pipelines: list):
    """The pipeline asked for, else the user's default one; and an error when the value
    names no active pipeline."""
    if value:
        match = next((p for p in pipelines if str(p.pk) == value.strip()), None)
        if match is None:
            return None, _("Pipeline: pick one of the list (“%(value)s” is not one).") % {
                "value": value[:40]
            }
        return match, ""
    team = getattr(user, "team", None)
    return selectors.default_pipeline(team=team), ""


def _url_for(name: str):
    """A function giving the URL of ``name`` for a pk, reversed once for the whole board
    (hundreds of cards)."""
    marker = 987654321
    sample = reverse(name, args=[marker])
    head, tail = sample.split(str(marker), 1)
    return lambda pk: f"{head}{pk}{tail}"


def _labels() -> dict:
    """The texts every card repeats, translated once per page."""
    return {
        "qualified": _("Qualified: need, budget and decision maker confirmed"),
        "days": _("Working days in this stage"),
        "stalled": _("Stalled"),
        "health": _("Healthy-deal criteria met"),
        "pending_title": _("A stage change waits for approval"),
        "pending": _("Awaiting approval"),
        "move": _("Move"),
    }


def _card_texts(card) -> None:
    card.days_text = _("%(days)s wd") % {"days": f"{card.days_in_stage:.1f}"}
    card.move_label = _("Move %(name)s") % {"name": card.name}
    if card.stalled:
        due = timezone.localtime(card.stall_due_at).strftime("%Y-%m-%d %H:%M")
        card.stall_text = _("Longer in this stage than it allows (since %(due)s)") % {"due": due}


def _team_choices(user) -> list[tuple[int, str]]:
    teams = Team.objects.filter(pk__in=visible_users(user).values("team_id")).order_by("path")
    return [(team.pk, team.name) for team in teams]


@login_required
@require_GET
def kanban(request):
    user = request.user
    pipelines = list(selectors.active_pipelines())
    pipeline, pipeline_error = _pipeline_for(user, request.GET.get("pipeline", ""), pipelines)
    data = {name: request.GET.get(name, "") for name in FILTERS}
    if data["owner"] == "me":
        data["owner"] = str(user.pk)
    filterset = DealFilterSet(data, queryset=Deal.objects.visible_to(user))
    valid = filterset.is_valid()
    messages_ = [pipeline_error] if pipeline_error else []
    if not valid:
        messages_ += [
            f"{filterset.form.fields[name].label}: {' '.join(errors)}"
            for name, errors in filterset.errors.items()
        ]
    the_board = None
    if pipeline is not None and not messages_:
        the_board = board.build(filterset.qs, pipeline)
        movable = editable_owner_ids(user)
        movable = None if movable is None else set(movable)
        move_url, detail_url = _url_for("pipeline:deal_move"), _url_for("pipeline:deal_detail")
        back = urlencode({"next": request.get_full_path()})
        for column in the_board.columns:
            for card in column.cards:
                card.movable = movable is None or card.owner_id in movable
                card.move_url = f"{move_url(card.pk)}?{back}"
                card.detail_url = detail_url(card.pk)
                _card_texts(card)
    current = {name: request.GET.get(name, "") for name in FILTERS}
    kept = {k: v for k, v in current.items() if v}
    if pipeline is not None:
        kept["pipeline"] = pipeline.pk
    context = {
        "board": the_board,
        "pipeline": pipeline,
        "pipelines": [(p.pk, p.name) for p in pipelines],
        "current": current,
        "filter_messages": messages_,
        "filtered": bool(kept.keys() - {"pipeline"}),
        "owners": [
            (u.pk, u.label) for u in visible_users(user).order_by("display_name", "username")
        ]
        if sees_owners(user)
        else [],
        "teams": _team_choices(user) if sees_owners(user) else [],
        "product_lines": choices.choices(choices.PRODUCT_LINE),
        "query": urlencode(kept),
        "list_query": urlencode({**kept, "status": "open"}),
        "labels": _labels(),
        "pending_approvals": approvals.pending_count(user),
        "may_approve": approvals.may_approve_any(user),
    }
    return render(request, "pipeline/kanban.html", context, status=400 if messages_ else 200)


urlpatterns = [
    path("kanban/", kanban, name="kanban"),
]
