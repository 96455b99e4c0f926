"""The outcome board's API: the cards of a scope (latest values, previous week, trend) and
one metric's weekly series. Reads the snapshots; a scope the caller may not see is 404."""

from __future__ import annotations

import datetime as dt

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Router, Schema

from . import metrics, selectors
from .metrics import Scope
from .models import OutcomePolicy, ScopeKind

router = Router(tags=["outcomes"])


class PointOut(Schema):
    week_start: dt.date
    value: float | None


class CardOut(Schema):
    code: str
    label: str
    definition: str
    unit: str
    better: str
    week_start: dt.date | None
    value: float | None
    numerator: float | None
    denominator: float | None
    previous: float | None
    since_go_live: float | None
    detail: dict
    trend: list[PointOut]


class BoardOut(Schema):
    scope_kind: str
    scope_id: int
    scope_label: str
    go_live_on: dt.date | None
    cards: list[CardOut]


def _scope(request, scope_kind: str | None, scope_id: int | None) -> Scope:
    if not scope_kind:
        return selectors.home_scope(request.user)
    scope = Scope(scope_kind, scope_id or 0)
    if scope_kind not in ScopeKind.values or not selectors.may_see(request.user, scope):
        raise Http404(_("Unknown scope."))
    return scope


def _card(card) -> dict:
    current = card.current
    return {
        "code": card.metric.code,
        "label": str(card.metric.label),
        "definition": str(card.metric.definition),
        "unit": str(card.metric.unit),
        "better": card.metric.better,
        "week_start": current.week_start if current else None,
        "value": current.value if current else None,
        "numerator": current.numerator if current else None,
        "denominator": current.denominator if current else None,
        "previous": card.previous.value if card.previous else None,
        "since_go_live": card.since_go_live,
        "detail": current.detail if current else {},
        "trend": [{"week_start": w, "value": v} for w, v in card.points],
    }


@router.get(
    "/outcomes/board",
    response=BoardOut,
    summary="The outcome board of a scope",
    description="Every outcome metric's latest weekly value, the week before, the change since "
    "go-live and the trend. scope_kind org|team|rep with scope_id; default: the caller's own "
    "scope (the organisation for directors, a manager's team, a rep's own figures).",
)
def board(request, scope_kind: str | None = None, scope_id: int | None = None):
    scope = _scope(request, scope_kind, scope_id)
    policy = OutcomePolicy.current()
    return {
        "scope_kind": scope.kind,
        "scope_id": scope.id,
        "scope_label": selectors.scope_label(scope),
        "go_live_on": policy.go_live_on,
        "cards": [_card(c) for c in selectors.cards(scope, policy=policy)],
    }


@router.get(
    "/outcomes/metrics/{code}",
    response=list[PointOut],
    summary="One outcome metric's weekly values for a scope",
)
def metric_series(request, code: str, scope_kind: str | None = None, scope_id: int | None = None):
    if code not in metrics.BY_CODE:
        raise Http404(_("Unknown metric."))
    scope = _scope(request, scope_kind, scope_id)
    points = selectors.series(scope, [code]).get(code, [])
    return [{"week_start": w, "value": v} for w, v in points]
