"""API schemas for notifications, preferences, channels and deliveries."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    link: str
    source: str
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[NotificationOut]


class UnreadOut(Schema):
    unread: int


class MarkedOut(Schema):
    marked: int


class PreferenceOut(Schema):
    kind: str
    label: str
    custom: bool = Field(..., description="False: this kind follows the default row (*).")
    email: bool
    channel_ids: list[int]


class PreferenceIn(Schema):
    email: bool = False
    channel_ids: list[int] = []

    model_config = {"extra": "forbid"}


class NotificationChannelOut(Schema):
    id: int
    kind: str
    name: str
    target: str = Field(..., validation_alias="target_display")
    has_secret: bool
    email_to: str
    active: bool
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_has_secret(obj) -> bool:
        return bool(obj.secret)


ChannelKindIn = Literal["email", "wecom", "dingtalk", "feishu"]


class NotificationChannelIn(Schema):
    kind: ChannelKindIn
    name: str = Field(..., min_length=1, max_length=100)
    webhook_url: str = Field("", max_length=500)
    secret: str = Field("", max_length=200)
    email_to: str = Field("", max_length=254)
    active: bool = True

    model_config = {"extra": "forbid"}


class NotificationChannelPatch(Schema):
    kind: ChannelKindIn | None = None
    name: str | None = Field(None, min_length=1, max_length=100)
    webhook_url: str | None = Field(None, max_length=500)
    secret: str | None = Field(
        None, max_length=200, description='"" removes the stored secret; omit to keep it.'
    )
    email_to: str | None = Field(None, max_length=254)
    active: bool | None = None

    model_config = {"extra": "forbid"}


class TestOut(Schema):
    ok: bool
    message: str


class NotificationDeliveryOut(Schema):
    """One delivery of any kind: a notification's copy (``notification_id``, recipient,
    title) or a webhook (``url``, ``source_*``: rule and firing)."""

    id: int
    notification_id: int | None
    recipient_id: int | None
    title: str
    channel: str
    config_id: int | None
    target: str = Field(..., validation_alias="target_display")
    url: str
    source_type: str
    source_id: int | None
    source_ref: int | None
    status: str
    gave_up: bool
    attempts: int
    next_attempt_at: dt.datetime | None
    last_status_code: int | None
    last_error: str
    log: list[Any]
    created_at: dt.datetime
    sent_at: dt.datetime | None

    @staticmethod
    def resolve_recipient_id(obj) -> int | None:
        return obj.notification.recipient_id if obj.notification_id else None

    @staticmethod
    def resolve_title(obj) -> str:
        return obj.notification.title if obj.notification_id else ""


class NotificationDeliveryPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[NotificationDeliveryOut]
