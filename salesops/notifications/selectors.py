"""Reads of the notifications app. A user only ever sees their own notifications and
preferences; channels and deliveries are for sales-ops admins."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils.translation import gettext as _

from . import kinds
from .models import ChannelConfig, Delivery, Notification, NotificationPreference


def inbox(*, user, unread_only: bool = False):
    """``user``'s notifications, unread first, newest first within each group."""
    qs = Notification.objects.filter(recipient=user)
    if unread_only:
        return qs.filter(read_at__isnull=True).order_by("-created_at", "-id")
    unread = ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField())
    return qs.alias(unread=unread).order_by("-unread", "-created_at", "-id")


def unread_count(*, user) -> int:
    """One COUNT on the (recipient, read_at, created_at) index."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_get(*, user, pk: int) -> Notification:
    """One of ``user``'s own notifications; anyone else's is ``DoesNotExist`` (→ 404)."""
    return Notification.objects.get(recipient=user, pk=pk)


def active_channels():
    """Channels a user may pick in their preferences."""
    return ChannelConfig.objects.filter(active=True).order_by("name")


def preference_rows(*, user) -> list[dict]:
    """One row per kind for the preferences page and API: the default row (``*``), every
    registered kind, and any other kind ``user`` has received or chosen."""
    prefs = {
        p.kind: p
        for p in NotificationPreference.objects.filter(user=user).prefetch_related("channels")
    }
    received = set(
        Notification.objects.filter(recipient=user).values_list("kind", flat=True).distinct()
    )
    keys = [NotificationPreference.ALL_KINDS]
    keys += [key for key, _label in kinds.registered()]
    keys += sorted((received | set(prefs)) - set(keys))
    default = prefs.get(NotificationPreference.ALL_KINDS)
    rows = []
    for key in keys:
        pref = prefs.get(key)
        effective = pref or default
        rows.append(
            {
                "kind": key,
                "label": str(kinds.label(key)),
                "custom": pref is not None,
                "email": effective.email if effective else bool(user.email),
                "channel_ids": sorted(c.pk for c in effective.channels.all()) if effective else [],
            }
        )
    return rows


def require_admin(user) -> None:
    if not user.is_admin_role:
        raise PermissionDenied(_("Only sales-ops admins may see notification channels."))


def channel_list(*, user):
    require_admin(user)
    return ChannelConfig.objects.order_by("name")


def channel_get(*, user, pk: int) -> ChannelConfig:
    require_admin(user)
    return ChannelConfig.objects.get(pk=pk)


def delivery_list(
    *,
    user,
    status: str = "",
    channel: str = "",
    q: str = "",
    source_type: str = "",
    source_id: int | None = None,
):
    """The one delivery log (notification copies and webhooks), newest first, with the
    notification and its recipient joined. ``q`` searches the title, the recipient, the
    address, the URL and the last error."""
    require_admin(user)
    qs = Delivery.objects.select_related("notification__recipient", "config").order_by(
        "-created_at", "-id"
    )
    if status == "gave_up":
        qs = qs.filter(status="failed", next_attempt_at__isnull=True)
    elif status:
        qs = qs.filter(status=status)
    if channel:
        qs = qs.filter(channel=channel)
    if source_type:
        qs = qs.filter(source_type=source_type)
    if source_id is not None:
        qs = qs.filter(source_id=source_id)
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(notification__title__icontains=q)
            | Q(notification__recipient__username__icontains=q)
            | Q(notification__recipient__display_name__icontains=q)
            | Q(address__icontains=q)
            | Q(url__icontains=q)
            | Q(last_error__icontains=q)
        )
    return qs


def delivery_get(*, user, pk: int) -> Delivery:
    require_admin(user)
    return Delivery.objects.select_related("notification", "config").get(pk=pk)
