"""Notifications over the API: my inbox and preferences; channels and deliveries for
sales-ops admins. Parse → service/selector → serialise."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from salesops.core.concurrency import if_match, with_etag
from salesops.core.pagination import paginate

from . import selectors, services
from .errors import DeliveryError
from .models import ChannelConfig, DeliveryKind, DeliveryStatus
from .schemas import (
    MarkedOut,
    NotificationChannelIn,
    NotificationChannelOut,
    NotificationChannelPatch,
    NotificationDeliveryOut,
    NotificationDeliveryPage,
    NotificationOut,
    NotificationPage,
    PreferenceIn,
    PreferenceOut,
    TestOut,
    UnreadOut,
)

router = Router(tags=["notifications"])


class InboxQuery(Schema):
    unread: bool = False
    page: int = 1
    page_size: int = 25


class NotificationDeliveryQuery(Schema):
    status: str | None = None
    channel: str | None = None
    q: str | None = Field(None, max_length=100)
    source_type: str | None = Field(None, max_length=30)
    source_id: int | None = None
    page: int = 1
    page_size: int = 25


@router.get("/notifications", response=NotificationPage, summary="My notifications")
def list_notifications(request, query: Query[InboxQuery]):
    qs = selectors.inbox(user=request.user, unread_only=query.unread)
    return paginate(qs, query.page, query.page_size)


@router.get("/notifications/unread-count", response=UnreadOut, summary="How many are unread")
def unread_count(request):
    return {"unread": selectors.unread_count(user=request.user)}


@router.post("/notifications/read-all", response=MarkedOut, summary="Mark all mine read")
def read_all(request):
    return {"marked": services.notification_mark_all_read(user=request.user)}


@router.get("/notifications/{notification_id}", response=NotificationOut, summary="One of mine")
def get_notification(request, notification_id: int):
    return selectors.notification_get(user=request.user, pk=notification_id)


@router.post("/notifications/{notification_id}/read", response=NotificationOut, summary="Mark read")
def read_one(request, notification_id: int):
    return services.notification_mark_read(user=request.user, notification_id=notification_id)


@router.get("/notification-preferences", response=list[PreferenceOut], summary="My preferences")
def list_preferences(request):
    return selectors.preference_rows(user=request.user)


def _row(user, kind: str) -> dict:
    return next(r for r in selectors.preference_rows(user=user) if r["kind"] == kind)


@router.put(
    "/notification-preferences/{kind}",
    response=PreferenceOut,
    summary="Choose my channels for a kind (* = default)",
)
def set_preference(request, kind: str, payload: PreferenceIn):
    services.preference_set(
        user=request.user, kind=kind, email=payload.email, channel_ids=payload.channel_ids
    )
    return _row(request.user, kind)


@router.delete(
    "/notification-preferences/{kind}",
    response={204: None},
    summary="Follow the default again for a kind",
)
def clear_preference(request, kind: str):
    services.preference_clear(user=request.user, kind=kind)
    return Status(204, None)


# --- admins -----------------------------------------------------------------------------


@router.get(
    "/notification-channels", response=list[NotificationChannelOut], summary="Channels (admins)"
)
def list_channels(request):
    return list(selectors.channel_list(user=request.user))


@router.post(
    "/notification-channels",
    response={201: NotificationChannelOut},
    summary="Create a channel (admins)",
)
def create_channel(request, payload: NotificationChannelIn):
    return Status(201, services.channel_create(actor=request.user, **payload.dict()))


@router.get(
    "/notification-channels/{channel_id}",
    response=NotificationChannelOut,
    summary="One channel (admins)",
)
@with_etag(ChannelConfig, "channel_id")
def get_channel(request, channel_id: int):
    return selectors.channel_get(user=request.user, pk=channel_id)


@router.patch(
    "/notification-channels/{channel_id}",
    response=NotificationChannelOut,
    summary="Change a channel",
)
@if_match(ChannelConfig, "channel_id", visible=lambda user, pk: user.is_admin_role)
def update_channel(request, channel_id: int, payload: NotificationChannelPatch):
    channel = selectors.channel_get(user=request.user, pk=channel_id)
    data = payload.dict(exclude_unset=True)
    if data.get("secret") == "":
        data["secret"] = None  # the API's "remove it"; the service keeps it on ""
    return services.channel_update(actor=request.user, channel=channel, **data)


@router.delete(
    "/notification-channels/{channel_id}", response={204: None}, summary="Delete a channel"
)
def delete_channel(request, channel_id: int):
    channel = selectors.channel_get(user=request.user, pk=channel_id)
    services.channel_delete(actor=request.user, channel=channel)
    return Status(204, None)


@router.post(
    "/notification-channels/{channel_id}/test",
    response=TestOut,
    summary="Send a test message now",
)
def test_channel(request, channel_id: int):
    channel = selectors.channel_get(user=request.user, pk=channel_id)
    try:
        services.channel_test(actor=request.user, channel=channel)
    except DeliveryError as exc:
        return {"ok": False, "message": str(exc)}
    return {"ok": True, "message": _("Test message sent.")}


@router.get(
    "/notification-deliveries", response=NotificationDeliveryPage, summary="Delivery log (admins)"
)
def list_deliveries(request, query: Query[NotificationDeliveryQuery]):
    errors = {}
    if query.status and query.status not in (*DeliveryStatus.values, "gave_up"):
        errors["status"] = _("Choose one of: %(choices)s.") % {
            "choices": ", ".join([*DeliveryStatus.values, "gave_up"])
        }
    if query.channel and query.channel not in DeliveryKind.values:
        errors["channel"] = _("Choose one of: %(choices)s.") % {
            "choices": ", ".join(DeliveryKind.values)
        }
    if errors:
        raise ValidationError(errors)
    qs = selectors.delivery_list(
        user=request.user,
        status=query.status or "",
        channel=query.channel or "",
        q=query.q or "",
        source_type=query.source_type or "",
        source_id=query.source_id,
    )
    return paginate(qs, query.page, query.page_size)


@router.post(
    "/notification-deliveries/{delivery_id}/retry",
    response=NotificationDeliveryOut,
    summary="Send a delivery again",
)
def retry_delivery(request, delivery_id: int):
    delivery = selectors.delivery_get(user=request.user, pk=delivery_id)
    services.delivery_retry(actor=request.user, delivery=delivery)
    return selectors.delivery_get(user=request.user, pk=delivery_id)
