"""Automation rules over the API: parse → service/selector → serialise."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.responses import Status

from salesops.core import events
from salesops.core.concurrency import if_match, with_etag
from salesops.core.pagination import paginate

from . import selectors, services
from .models import Rule
from .schemas import (
    ActionTypeOut,
    AutomationRuleIn,
    AutomationRuleOut,
    AutomationRulePatch,
    DraftPreviewIn,
    EntityOut,
    EventOut,
    FiringOut,
    FiringPage,
    PreviewIn,
    PreviewOut,
    RulePage,
    VersionOut,
    WebhookDeliveryPage,
)

router = Router(tags=["automation"])


class RuleQuery(Schema):
    q: str = ""
    trigger_type: str = ""
    active: bool | None = None
    page: int = 1
    page_size: int = 25


class FiringQuery(Schema):
    rule: int | None = None
    entity: str = ""
    object_id: int | None = None
    status: str = ""
    page: int = 1
    page_size: int = 25


class WebhookDeliveryQuery(Schema):
    rule: int | None = None
    status: str = ""
    page: int = 1
    page_size: int = 25


def _require(user):
    if not services.can_manage_rules(user):
        raise PermissionDenied(
            _("Only sales-ops admins and directors can manage automation rules.")
        )


@router.get("/automation/rules", response=RulePage, summary="List automation rules")
def list_rules(request, query: Query[RuleQuery]):
    qs = selectors.rule_list(
        user=request.user, q=query.q, trigger_type=query.trigger_type, active=query.active
    )
    return paginate(qs, query.page, query.page_size)


@router.post(
    "/automation/rules", response={201: AutomationRuleOut}, summary="Create an automation rule"
)
def create_rule(request, payload: AutomationRuleIn):
    data = payload.dict()
    return Status(201, services.rule_create(actor=request.user, **data))


@router.get(
    "/automation/rules/{rule_id}", response=AutomationRuleOut, summary="Get an automation rule"
)
@with_etag(Rule, "rule_id")
def get_rule(request, rule_id: int):
    return selectors.rule_get(user=request.user, pk=rule_id)


@router.patch(
    "/automation/rules/{rule_id}",
    response=AutomationRuleOut,
    summary="Change a rule (a changed trigger, condition or actions becomes a new version)",
)
@if_match(Rule, "rule_id", visible=lambda user, pk: services.can_manage_rules(user))
def update_rule(request, rule_id: int, payload: AutomationRulePatch):
    rule = selectors.rule_get(user=request.user, pk=rule_id)
    return services.rule_update(actor=request.user, rule=rule, **payload.dict(exclude_unset=True))


@router.get(
    "/automation/rules/{rule_id}/versions",
    response=list[VersionOut],
    summary="A rule's versions, newest first",
)
def rule_versions(request, rule_id: int):
    rule = selectors.rule_get(user=request.user, pk=rule_id)
    return list(selectors.rule_versions(user=request.user, rule=rule))


@router.post(
    "/automation/rules/{rule_id}/activate", response=AutomationRuleOut, summary="Switch a rule on"
)
def activate_rule(request, rule_id: int):
    rule = selectors.rule_get(user=request.user, pk=rule_id)
    services.rule_set_active(actor=request.user, rule=rule, active=True)
    return selectors.rule_get(user=request.user, pk=rule_id)


@router.post(
    "/automation/rules/{rule_id}/deactivate",
    response=AutomationRuleOut,
    summary="Switch a rule off",
)
def deactivate_rule(request, rule_id: int):
    rule = selectors.rule_get(user=request.user, pk=rule_id)
    services.rule_set_active(actor=request.user, rule=rule, active=False)
    return selectors.rule_get(user=request.user, pk=rule_id)


@router.post(
    "/automation/rules/{rule_id}/preview",
    response=PreviewOut,
    summary="Try a rule on record #N without doing anything",
)
def preview_rule(request, rule_id: int, payload: PreviewIn):
    rule = selectors.rule_get(user=request.user, pk=rule_id)
    return services.rule_preview(
        actor=request.user, rule=rule, object_id=payload.object_id, level=payload.level
    )


@router.post("/automation/preview", response=PreviewOut, summary="Try an unsaved rule on record #N")
def preview_draft(request, payload: DraftPreviewIn):
    data = payload.dict()
    object_id, level = data.pop("object_id"), data.pop("level")
    return services.rule_preview(actor=request.user, draft=data, object_id=object_id, level=level)


@router.get("/automation/firings", response=FiringPage, summary="What rules fired, and why")
def list_firings(request, query: Query[FiringQuery]):
    qs = selectors.firing_list(
        user=request.user,
        rule=query.rule,
        entity=query.entity,
        object_id=query.object_id,
        status=query.status,
    )
    return paginate(qs, query.page, query.page_size)


@router.get("/automation/firings/{firing_id}", response=FiringOut, summary="One firing")
def get_firing(request, firing_id: int):
    return selectors.firing_get(user=request.user, pk=firing_id)


@router.get(
    "/automation/deliveries",
    response=WebhookDeliveryPage,
    summary="Webhook deliveries and attempts",
)
def list_deliveries(request, query: Query[WebhookDeliveryQuery]):
    qs = selectors.delivery_list(user=request.user, rule=query.rule, status=query.status)
    return paginate(qs, query.page, query.page_size)


@router.get("/automation/events", response=list[EventOut], summary="Events a rule can listen to")
def event_catalogue(request):
    _require(request.user)
    return [
        {"name": e["name"], "fields": list(e["fields"]), "description": str(e["description"])}
        for e in events.catalogue()
    ]


@router.get(
    "/automation/entities",
    response=list[EntityOut],
    summary="Entities with their timer fields and condition variables",
)
def entity_catalogue(request):
    _require(request.user)
    return services.entity_catalogue()


@router.get("/automation/actions", response=list[ActionTypeOut], summary="Available actions")
def action_catalogue(request):
    _require(request.user)
    return services.action_catalogue()
