"""API schemas for automation rules, versions, firings and webhook deliveries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema


class AutomationRuleIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    code: str = Field("", max_length=80)
    trigger_type: str = Field(..., description="event | timer | schedule")
    entity: str = Field("", max_length=50)
    trigger: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            'event {"event": …}; timer {"field", "minutes", "unit", …}; schedule {"cron": …} '
            'or {"every": "daily" | "weekly" | "monthly_workday", "at": "HH:MM", '
            '"weekdays": [1-7], "workday": N}'
        ),
    )
    condition: str = Field("", max_length=2000)
    actions: list[Any] = Field(default_factory=list)
    is_active: bool = True

    model_config = {"extra": "forbid"}


class AutomationRulePatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    code: str | None = Field(None, max_length=80)
    trigger_type: str | None = None
    entity: str | None = Field(None, max_length=50)
    trigger: dict[str, Any] | None = None
    condition: str | None = Field(None, max_length=2000)
    actions: list[Any] | None = None

    model_config = {"extra": "forbid"}


class VersionOut(Schema):
    id: int
    number: int
    trigger_type: str
    entity: str
    trigger: dict[str, Any]
    condition: str
    actions: list[Any]
    created_by_id: int | None
    created_at: dt.datetime


class AutomationRuleOut(Schema):
    id: int
    code: str
    name: str
    description: str
    is_active: bool
    trigger_type: str
    entity: str
    event: str
    watch_from: dt.datetime
    webhook_secret: str
    created_at: dt.datetime
    updated_at: dt.datetime
    current_version: VersionOut | None


class RulePage(Schema):
    count: int
    page: int
    page_size: int
    results: list[AutomationRuleOut]


class PreviewIn(Schema):
    object_id: int | None = None
    level: int = Field(0, ge=0, le=20)

    model_config = {"extra": "forbid"}


class DraftPreviewIn(Schema):
    object_id: int | None = None
    level: int = Field(0, ge=0, le=20)
    name: str = Field("", max_length=200)
    trigger_type: str
    entity: str = Field("", max_length=50)
    trigger: dict[str, Any] = Field(default_factory=dict)
    condition: str = Field("", max_length=2000)
    actions: list[Any] = Field(default_factory=list)

    model_config = {"extra": "forbid"}


class PreviewOut(Schema):
    entity: str
    object_id: int | None
    record: str
    variables: dict[str, Any]
    condition_values: dict[str, Any]
    stopped_by_unless: bool
    condition: bool
    error: str
    would_fire: bool
    due_at: str | None = None
    actions: list[dict[str, Any]]


class FiringOut(Schema):
    id: int
    rule_id: int
    rule_name: str = Field(..., validation_alias="rule.name")
    version_id: int
    version: int = Field(..., validation_alias="version.number")
    entity: str
    object_id: int
    key: str
    fired_at: dt.datetime
    status: str
    condition_values: dict[str, Any]
    results: list[Any]
    error: str


class FiringPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[FiringOut]


class WebhookDeliveryOut(Schema):
    """A rule's webhook delivery (a delivery of the notifications app with its source)."""

    id: int
    rule_id: int | None = Field(None, validation_alias="source_id")
    firing_id: int | None = Field(None, validation_alias="source_ref")
    url: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime | None
    last_status_code: int | None
    last_error: str
    log: list[Any]
    created_at: dt.datetime
    delivered_at: dt.datetime | None = Field(None, validation_alias="sent_at")


class WebhookDeliveryPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[WebhookDeliveryOut]


class EventOut(Schema):
    name: str
    fields: list[str]
    description: str


class EntityOut(Schema):
    key: str
    label: str
    timer_fields: list[str]
    variables: list[str]
    settable_fields: list[str]


class ActionTypeOut(Schema):
    kind: str
    label: str
    fields: list[dict[str, Any]]
