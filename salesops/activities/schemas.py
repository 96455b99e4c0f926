"""API schemas for activities and result tags."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema

from salesops.core.schemas import UserRef

Kind = Literal["call", "visit", "wechat", "email", "meeting"]
Source = Literal["timer", "typed"]
SOURCE_HELP = (
    "Where the duration came from: timer (a call timer measured it) or typed (a person "
    "entered it; the default)."
)


class ActivityOut(Schema):
    id: int
    kind: str
    owner: UserRef
    lead_id: int | None
    account_id: int | None
    contact_id: int | None
    deal_id: int | None = Field(None, description="The deal the activity worked on.")
    started_at: dt.datetime
    ended_at: dt.datetime | None
    duration_seconds: int
    duration_source: str = Field(
        ...,
        description="timer (measured by a call timer or between start and check-in), typed "
        "(entered by a person; pages mark it) or none (no duration recorded).",
    )
    tag: str | None = Field(None, description="The result tag's code; null while open.")
    tag_label: str | None = None
    note: str
    effective: bool
    finished: bool = Field(..., validation_alias="is_finished")
    checked_in_at: dt.datetime | None
    created_at: dt.datetime
    custom: dict[str, Any] = Field(
        default_factory=dict,
        description="Custom field values by key (GET /custom-fields?entity=activity lists them).",
    )

    @staticmethod
    def resolve_tag(obj):
        return obj.tag.code if obj.tag_id else None

    @staticmethod
    def resolve_tag_label(obj):
        return obj.tag.label if obj.tag_id else None


class ActivityPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[ActivityOut]


class ActivityIn(Schema):
    kind: Kind = "call"
    lead_id: int | None = None
    account_id: int | None = None
    contact_id: int | None = None
    deal_id: int | None = Field(
        None,
        description="A deal of the activity's account you may see (the account defaults to "
        "the deal's).",
    )
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    duration_seconds: int | None = Field(None, description="Ignored when both instants are sent.")
    duration_source: Source | None = Field(None, description=SOURCE_HELP)
    tag: str | None = Field(None, description="A result tag code (GET /result-tags).")
    note: str = Field(
        "", description="At most the organisation's check-in note length (20 by default)."
    )
    start: bool = Field(
        False,
        description="True to start an open activity now (no tag yet) and finish it later "
        "with POST /activities/{id}/check-in.",
    )
    custom: dict[str, Any] | None = Field(
        None,
        description="Custom field values by key; see GET /custom-fields?entity=activity.",
    )

    model_config = {"extra": "forbid"}


class CheckInIn(Schema):
    tag: str | None = Field(None, description="A result tag code (required).")
    deal_id: int | None = Field(None, description="Link the deal the activity worked on.")
    note: str = Field(
        "", description="At most the organisation's check-in note length (20 by default)."
    )
    duration_seconds: int | None = Field(
        None, description="Default: the time since it started (then duration_source is timer)."
    )
    duration_source: Source | None = Field(None, description=SOURCE_HELP)
    custom: dict[str, Any] | None = Field(
        None,
        description="Custom field values by key; see GET /custom-fields?entity=activity.",
    )

    model_config = {"extra": "forbid"}


class ResultTagOut(Schema):
    id: int
    code: str
    label: str
    label_zh: str
    label_en: str
    order: int
    is_active: bool
    counts_as_contact: bool


class ResultTagIn(Schema):
    code: str = Field(..., max_length=50)
    label_zh: str = Field(..., max_length=50)
    label_en: str = Field(..., max_length=50)
    counts_as_contact: bool = True
    order: int | None = Field(None, ge=0)
    is_active: bool = True

    model_config = {"extra": "forbid"}


class ResultTagPatch(Schema):
    label_zh: str | None = Field(None, max_length=50)
    label_en: str | None = Field(None, max_length=50)
    counts_as_contact: bool | None = None
    order: int | None = Field(None, ge=0)
    is_active: bool | None = None

    model_config = {"extra": "forbid"}


class ReorderIn(Schema):
    codes: list[str]

    model_config = {"extra": "forbid"}
