"""Pushes over the API (SPEC N4): list mine (or, for a manager, the team's), open (mark
read), submit the study note, close. Another person's push is a 404; bad input a 422
naming the field; only the recipient moves their push along (403 for a manager)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from salesops.core.pagination import paginate

from . import push_selectors, pushes

router = Router(tags=["knowledge"])


class PushOut(Schema):
    id: int
    item_id: int
    item_title: str
    item_kind: str
    user_id: int
    reason: str
    requires_note: bool
    state: str
    delivered_at: dt.datetime | None
    read_at: dt.datetime | None
    note: str
    note_at: dt.datetime | None
    closed_at: dt.datetime | None
    created_at: dt.datetime


class PushPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[PushOut]


class PushQuery(Schema):
    scope: str = "mine"
    state: str | None = None
    page: int = Field(1, ge=1, le=100000)
    page_size: int = Field(25, ge=1, le=200)


class NoteIn(Schema):
    note: str = Field(..., max_length=pushes.NOTE_MAX * 2)


def _out(push) -> dict:
    return {
        "id": push.pk,
        "item_id": push.item_id,
        "item_title": push.item.title,
        "item_kind": push.item.kind,
        "user_id": push.user_id,
        "reason": push.reason,
        "requires_note": push.requires_note,
        "state": pushes.state(push),
        "delivered_at": push.delivered_at,
        "read_at": push.read_at,
        "note": push.note,
        "note_at": push.note_at,
        "closed_at": push.closed_at,
        "created_at": push.created_at,
    }


STATES = ("open", "closed")


@router.get("/knowledge/pushes", response=PushPage, summary="My pushes (or my team's)")
def list_pushes(request, query: Query[PushQuery]):
    if query.scope not in ("mine", "team"):
        raise ValidationError({"scope": _("Choose “mine” or “team”.")})
    if query.state not in (None, "", *STATES):
        raise ValidationError({"state": _("Choose “open” or “closed”.")})
    if query.scope == "team":
        qs = push_selectors.visible_pushes(request.user).select_related("item")
        qs = qs.order_by("-created_at", "-id")
    else:
        qs = push_selectors.my_pushes(request.user)
    if query.state == "open":
        qs = qs.filter(closed_at__isnull=True)
    elif query.state == "closed":
        qs = qs.filter(closed_at__isnull=False)
    page = paginate(qs, query.page, query.page_size)
    page["results"] = [_out(p) for p in page["results"]]
    return page


@router.post("/knowledge/pushes/{push_id}/read", response=PushOut, summary="Open (mark read)")
def read_push(request, push_id: int):
    push = push_selectors.push_for(request.user, push_id)
    return _out(pushes.push_open(actor=request.user, push=push))


@router.post("/knowledge/pushes/{push_id}/note", response=PushOut, summary="Submit the study note")
def note_push(request, push_id: int, payload: NoteIn):
    push = push_selectors.push_for(request.user, push_id)
    push = pushes.push_submit_note(actor=request.user, push=push, note=payload.note)
    return _out(push_selectors.push_for(request.user, push.pk))


@router.post("/knowledge/pushes/{push_id}/close", response=PushOut, summary="Close")
def close_push(request, push_id: int):
    push = push_selectors.push_for(request.user, push_id)
    push = pushes.push_close(actor=request.user, push=push)
    return _out(push_selectors.push_for(request.user, push.pk))
