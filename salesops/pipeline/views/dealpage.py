"""What a deal's page shows, read in one place: the stage path with the days spent in each
stage, the current stage's exit criteria (met or not), evidence, the stage-change history
and the waiting request, the healthy-deal check, the decision chain and the activities.

Activities stand above this app: they are read through the deal's reverse relation
(``deal.activities``), never by importing their app, and their template is included only
when it exists.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Sum
from django.http import Http404
from django.template import TemplateDoesNotExist
from django.template.loader import select_template
from django.urls import reverse
from django.utils.translation import gettext as _

from salesops.core import calendar, choices, clock
from salesops.customization import selectors as custom_selectors

from .. import criteria
from ..forms import EvidenceForm, ReassignForm
from ..models import ChangeState, Deal, StageKind

ACTIVITIES_TEMPLATE = "activities/_lead_activities.html"
ACTIVITY_LIMIT = 50
CHANGE_LIMIT = 100
STATE_COLOURS = {
    ChangeState.PENDING: "yellow",
    ChangeState.APPLIED: "green",
    ChangeState.REJECTED: "red",
    ChangeState.CANCELLED: "secondary",
}


def deal_or_404(user, pk) -> Deal:
    deal = (
        Deal.objects.visible_to(user)
        .select_related("account", "owner", "stage", "pipeline", "lead", "created_by")
        .filter(pk=pk)
        .first()
    )
    if deal is None:
        raise Http404(_("No such deal, or you may not open it."))
    return deal


def can_reassign(user, deal: Deal) -> bool:
    return (user.is_manager_role or user.edits_everything) and Deal.objects.editable_by(
        user
    ).filter(pk=deal.pk).exists()


def decorate(deals, now=None) -> None:
    """Per row of a list: the weighted amount, whether it stalled, working days in stage."""
    now = now or clock.now()
    for deal in deals:
        deal.stalled = bool(deal.is_open and deal.stall_due_at and deal.stall_due_at <= now)
        deal.days_in_stage = (
            calendar.working_days_elapsed(deal.stage_entered_at, now) if deal.is_open else None
        )


def stage_path(deal: Deal, now) -> list[dict]:
    """Every stage of the deal's pipeline, in order (open ones, then won and lost), with
    where the deal stands and the working days it spent in each."""
    spent: dict[int, Decimal] = defaultdict(Decimal)
    rows = (
        deal.stage_changes.filter(state=ChangeState.APPLIED, from_stage__isnull=False)
        .values("from_stage_id")
        .annotate(days=Sum("working_days_in_stage"))
    )
    for row in rows:
        spent[row["from_stage_id"]] = row["days"] or Decimal("0")
    stages = list(deal.pipeline.stages.order_by("order", "id"))
    current = deal.stage
    path = []
    for stage in stages:
        if stage.kind != StageKind.OPEN and stage.pk != current.pk:
            continue  # won and lost show only when the deal ended there
        if stage.pk == current.pk:
            state = "current"
        elif current.kind == StageKind.OPEN and stage.order > current.order:
            state = "ahead"
        elif stage.pk in spent:
            state = "done"
        else:
            state = "skipped" if current.kind == StageKind.OPEN else "ahead"
        item = {"stage": stage, "state": state, "days": spent.get(stage.pk)}
        if state == "current" and deal.is_open:
            item["days"] = calendar.working_days_elapsed(deal.stage_entered_at, now)
            item["stall_due"] = deal.stall_due_at
            item["stalled"] = bool(deal.stall_due_at and deal.stall_due_at <= now)
        path.append(item)
    return path


def exit_criteria(deal: Deal) -> list[dict]:
    """The current stage's exit criteria, each with whether the deal meets it (from
    :func:`criteria.unmet`, the same check a move runs)."""
    stage = deal.stage
    if not deal.is_open or stage.kind != StageKind.OPEN:
        return []
    missing = criteria.unmet(deal)
    unmet_fields = {m["field"] for m in missing if m["code"] == "field"}
    unmet_types = {m.get("type") for m in missing if m["code"] == "evidence"}
    unmet_kinds = {m.get("kind") for m in missing if m["code"] == "activity"}
    items = []
    for name in stage.required_fields or ():
        label = criteria.FIELD_LABELS.get(name, lambda n=name: n)()
        items.append({"kind": "field", "label": label, "met": name not in unmet_fields})
    for code in stage.required_evidence or ():
        items.append(
            {
                "kind": "evidence",
                "label": choices.label(choices.EVIDENCE_TYPE, code),
                "met": code not in unmet_types,
            }
        )
    for requirement in stage.required_activities or ():
        if isinstance(requirement, dict):
            kind, count = requirement.get("kind", ""), requirement.get("count", 1)
        else:
            kind, count = str(requirement), 1
        if not kind:
            continue
        items.append(
            {
                "kind": "activity",
                "label": f"{count} × {criteria.activity_kind_label(kind)}",
                "met": kind not in unmet_kinds,
            }
        )
    if not items and missing:
        items = [{"kind": m["code"], "label": m["message"], "met": False} for m in missing]
    return items


def health(deal: Deal) -> dict | None:
    """The healthy-deal check as its evaluator stored it, or None when not checked yet."""
    data = deal.health if isinstance(deal.health, dict) else {}
    rows = data.get("criteria") or []
    if not rows and deal.health_checked_at is None:
        return None
    criteria_rows = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        passed = row.get("passed")
        criteria_rows.append(
            {
                "code": row.get("code", ""),
                "label": row.get("label", row.get("code", "")),
                "passed": passed,
                "state": "pass" if passed is True else "fail" if passed is False else "unknown",
                "value": row.get("value"),
                "threshold": row.get("threshold"),
                "signal": row.get("signal") or "",
            }
        )
    passed = deal.health_passed if deal.health_passed is not None else data.get("passed")
    return {
        "criteria": criteria_rows,
        "passed": passed,
        "total": data.get("total") or len(criteria_rows),
        "checked_at": deal.health_checked_at,
    }


def deal_activities(deal: Deal, user):
    """The activities logged on the deal that ``user`` may see (newest first)."""
    activities = deal.activities.all()
    if hasattr(activities, "visible_to"):
        activities = activities.visible_to(user)
    return activities.select_related("tag", "owner").order_by("-started_at")[:ACTIVITY_LIMIT]


def _has_template(name: str) -> bool:
    try:
        select_template([name])
    except TemplateDoesNotExist:
        return False
    return True


def context(request, deal: Deal, *, tab: str = "details", **forms) -> dict:
    user = request.user
    now = clock.now()
    editable = Deal.objects.editable_by(user).filter(pk=deal.pk).exists()
    decorate([deal], now)
    changes = list(
        deal.stage_changes.select_related(
            "from_stage", "to_stage", "requested_by", "decided_by"
        ).order_by("-requested_at", "-id")[:CHANGE_LIMIT]
    )
    for change in changes:
        change.colour = STATE_COLOURS.get(change.state, "secondary")
        change.lost_reason_label = choices.label(choices.DEAL_LOST_REASON, change.lost_reason)
    pending = next((c for c in changes if c.state == ChangeState.PENDING), None)
    reassign = can_reassign(user, deal)
    activity_list = reverse("activities:activity_list")
    context = {
        "deal": deal,
        "tab": tab,
        "now": now,
        "can_edit": editable,
        "can_reassign": reassign,
        "move_url": reverse("pipeline:deal_move", args=[deal.pk]) if editable else None,
        "contacts": list(deal.contacts.order_by("decision_role", "name")),
        "custom_rows": custom_selectors.display_rows("deal", deal),
        "path": stage_path(deal, now),
        "criteria": exit_criteria(deal),
        "evidence": list(deal.evidence.select_related("stage", "created_by")),
        "evidence_form": forms.get("evidence_form") or (EvidenceForm() if editable else None),
        "changes": changes,
        "pending": pending,
        "health": health(deal),
        "reassign_form": forms.get("reassign_form")
        or (ReassignForm(user=user) if reassign else None),
        "activity_list_url": f"{activity_list}?deal={deal.pk}" if activity_list else None,
        "lead_visible": bool(
            deal.lead_id
            and type(deal.lead).objects.visible_to(user).filter(pk=deal.lead_id).exists()
        ),
    }
    if _has_template(ACTIVITIES_TEMPLATE):
        context["show_activities"] = True
        context["activities"] = deal_activities(deal, user)
    return context
