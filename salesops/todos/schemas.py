"""API schemas for tasks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from salesops.core.schemas import UserRef

from .selectors import record_ref


class RecordRef(Schema):
    type: str
    id: int
    label: str
    url: str | None


class TaskOut(Schema):
    id: int
    title: str
    description: str
    due_at: dt.datetime | None
    assignee: UserRef
    record: RecordRef | None
    done: bool = Field(..., validation_alias="is_done")
    done_at: dt.datetime | None
    done_by_id: int | None
    source: str
    created_at: dt.datetime
    updated_at: dt.datetime
    url: str = Field(..., validation_alias="get_absolute_url")
    custom: dict[str, Any] = Field(
        default_factory=dict,
        description="Custom field values by key (GET /custom-fields?entity=task lists them).",
    )

    @staticmethod
    def resolve_record(obj):
        return record_ref(obj)


class TaskPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[TaskOut]


class TaskIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=4000)
    due_at: dt.datetime | None = None
    assignee_id: int | None = Field(None, description="Default: yourself.")
    record_type: str | None = Field(None, description='An entity key: "account", "contact" …')
    record_id: int | None = None
    custom: dict[str, Any] | None = Field(
        None, description="Custom field values by key; see GET /custom-fields?entity=task."
    )

    model_config = {"extra": "forbid"}


class TaskPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=4000)
    due_at: dt.datetime | None = None
    assignee_id: int | None = None
    custom: dict[str, Any] | None = Field(
        None, description='Only the custom fields named are changed; null or "" clears one.'
    )

    model_config = {"extra": "forbid"}
