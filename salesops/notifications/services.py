"""Every write of the notifications app: sending (inbox + deliveries), reading, per-user
preferences, and the admin's channel configurations.

``notify`` and ``notify_many`` are the only entry points other apps (the automation
engine, tasks) use. They write the inbox rows and one ``Delivery`` per extra channel the
recipient wants, in the caller's transaction; the deliveries go out after commit in a
Huey task (``tasks.deliver``), and the ``notifications.retry_deliveries`` sweep retries
the failed ones with exponential backoff (``sending.py``). ``outbound_create`` queues a
signed HTTP call (rules' webhooks) on the same mechanism; ``delivery_policy_update`` sets
how often any delivery is tried.

Default channels: a user with no preference row gets the inbox, plus email when their
profile has an email address (:data:`DEFAULT_CHANNELS`). Inactive users get nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salesops.core import clock
from salesops.core.history import save_with_history

from . import senders, sending, tasks, webhooks
from .kinds import KIND_RE
from .kinds import register as register_kind  # noqa: F401 - for other apps' ready()
from .models import (
    ChannelConfig,
    ChannelKind,
    Delivery,
    DeliveryKind,
    DeliveryPolicy,
    DeliveryStatus,
    Notification,
    NotificationPreference,
)

DEFAULT_CHANNELS = "inbox + email (when the user has an email address)"
CHUNK = 500  # ids per IN (...) query and per bulk insert


# --- sending ----------------------------------------------------------------------------------


def _user_id(recipient) -> int:
    return recipient if isinstance(recipient, int) else recipient.pk


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _plans(user_ids: set[int], kinds: set[str]) -> tuple[dict, dict]:
    """What each recipient wants, looked up once per distinct recipient (in chunks):
    ``({user_id: email}, {(user_id, kind): preference})`` for active users only."""
    User = get_user_model()
    emails: dict[int, str] = {}
    prefs: dict[tuple[int, str], NotificationPreference] = {}
    wanted_kinds = {*kinds, NotificationPreference.ALL_KINDS}
    for ids in _chunks(sorted(user_ids)):
        emails.update(User.objects.filter(pk__in=ids, is_active=True).values_list("pk", "email"))
        rows = NotificationPreference.objects.filter(
            user_id__in=ids, kind__in=wanted_kinds
        ).prefetch_related("channels")
        for pref in rows:
            prefs[(pref.user_id, pref.kind)] = pref
    return emails, prefs


def _deliveries_for(notification: Notification, email: str, pref) -> list[Delivery]:
    """The extra channels (beyond the inbox) for one notification."""
    due = notification.created_at + sending.IN_FLIGHT
    out = []
    wants_email = bool(email) if pref is None else pref.email and bool(email)
    if wants_email:
        out.append(Delivery(channel=ChannelKind.EMAIL, address=email))
    if pref is not None:
        for config in pref.channels.all():
            if not config.active:
                continue
            address = config.email_to if config.kind == ChannelKind.EMAIL else ""
            out.append(Delivery(channel=config.kind, config=config, address=address))
    for delivery in out:
        delivery.notification = notification
        delivery.created_at = notification.created_at
        # "In flight": the after-commit task sends it; only if that task never runs does
        # the retry sweep pick it up, once this lease has passed.
        delivery.next_attempt_at = due
    return out


def _clip(text: str, length: int) -> str:
    text = (text or "").strip()
    return text if len(text) <= length else text[: length - 1] + "…"


def _write(items: list[dict]) -> list[Notification]:
    kinds = set()
    for item in items:
        if not KIND_RE.match(item.get("kind") or ""):
            raise ValueError(
                f"notification kind {item.get('kind')!r}: use a-z, 0-9 and _ . : - (≤ 64)"
            )
        kinds.add(item["kind"])
    user_ids = {int(item["recipient_id"]) for item in items}
    emails, prefs = _plans(user_ids, kinds)
    now = clock.now()
    notifications = [
        Notification(
            recipient_id=int(item["recipient_id"]),
            kind=item["kind"],
            title=_clip(item.get("title") or item["kind"], 200),
            body=(item.get("body") or "").strip(),
            link=_clip(item.get("link") or "", 500),
            source=_clip(item.get("source") or "", 100),
            created_at=now,
        )
        for item in items
        if int(item["recipient_id"]) in emails
    ]
    Notification.objects.bulk_create(notifications, batch_size=CHUNK)
    deliveries = []
    for n in notifications:
        pref = prefs.get((n.recipient_id, n.kind)) or prefs.get(
            (n.recipient_id, NotificationPreference.ALL_KINDS)
        )
        deliveries.extend(_deliveries_for(n, emails[n.recipient_id], pref))
    if deliveries:
        Delivery.objects.bulk_create(deliveries, batch_size=CHUNK)
        tasks.deliver_after_commit([d.pk for d in deliveries])
    return notifications


@transaction.atomic
def notify(
    *,
    recipients,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    source: str = "",
) -> list[Notification]:
    """Put a message in each recipient's inbox (users or user ids; duplicates and
    inactive users dropped) and queue its copies to their preferred channels."""
    if not isinstance(recipients, Iterable) or isinstance(recipients, str):
        recipients = [recipients]
    ids = list(dict.fromkeys(_user_id(r) for r in recipients if r is not None))
    items = [
        {
            "recipient_id": uid,
            "kind": kind,
            "title": title,
            "body": body,
            "link": link,
            "source": source,
        }
        for uid in ids
    ]
    return _write(items) if items else []


@transaction.atomic
def notify_many(items: list[dict]) -> int:
    """Bulk ``notify`` for sweeps: each item has ``recipient_id, kind, title, body, link,
    source``. Two queries per 500 distinct recipients for their preferences, bulk inserts
    for the rest. Returns how many inbox rows were written."""
    if not items:
        return 0
    return len(_write(list(items)))


# --- the inbox ----------------------------------------------------------------------------------


def notification_mark_read(*, user, notification_id: int) -> Notification:
    """Mark one of ``user``'s notifications read; another user's is ``DoesNotExist``."""
    notification = Notification.objects.get(recipient=user, pk=notification_id)
    if notification.read_at is None:
        notification.read_at = clock.now()
        notification.save(update_fields=["read_at"])
    return notification


def notification_mark_all_read(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=clock.now()
    )


# --- preferences --------------------------------------------------------------------------------


@transaction.atomic
def preference_set(
    *, user, kind: str, email: bool, channel_ids: Iterable[int] = ()
) -> NotificationPreference:
    """Choose the channels ``user`` wants for ``kind`` (``*`` = the default)."""
    errors: dict[str, list] = {}
    kind = (kind or "").strip()
    if kind != NotificationPreference.ALL_KINDS and not KIND_RE.match(kind):
        errors["kind"] = [_("Unknown notification kind.")]
    if email and not user.email:
        errors["email"] = [
            _("Your profile has no email address; ask an admin to add one, then choose email.")
        ]
    wanted = set(channel_ids or ())
    configs = list(ChannelConfig.objects.filter(pk__in=wanted, active=True))
    missing = wanted - {c.pk for c in configs}
    if missing:
        errors["channels"] = [
            _("No active channel with id %(ids)s; reload the page and choose again.")
            % {"ids": ", ".join(str(i) for i in sorted(missing))}
        ]
    if errors:
        raise ValidationError(errors)
    pref, _created = NotificationPreference.objects.update_or_create(
        user=user, kind=kind, defaults={"email": bool(email), "updated_at": clock.now()}
    )
    pref.channels.set(configs)
    return pref


def preference_clear(*, user, kind: str) -> None:
    """Drop ``user``'s own choice for ``kind``: it follows the default again."""
    NotificationPreference.objects.filter(user=user, kind=kind).delete()


# --- channels (sales-ops admins) ------------------------------------------------------------------

CHANNEL_FIELDS = ("kind", "name", "webhook_url", "secret", "email_to", "active")


def _require_admin(actor) -> None:
    if actor is None or not actor.is_admin_role:
        raise PermissionDenied(_("Only sales-ops admins may manage notification channels."))


def _validate_channel(channel: ChannelConfig) -> None:
    errors: dict[str, list] = {}
    try:
        channel.full_clean(validate_unique=True, validate_constraints=False)
    except ValidationError as exc:
        errors.update({k: list(v) for k, v in exc.message_dict.items()})
    if channel.kind == ChannelKind.EMAIL:
        if not channel.email_to and "email_to" not in errors:
            errors["email_to"] = [_("A shared-mailbox channel needs an email address.")]
    elif channel.kind:
        if not channel.webhook_url:
            errors.setdefault("webhook_url", []).append(
                _("Paste the bot's webhook URL from the group's bot settings.")
            )
        else:
            try:
                webhooks.check_url(channel.webhook_url)
            except ValidationError as exc:
                errors.setdefault("webhook_url", []).extend(exc.message_dict["webhook_url"])
    if errors:
        raise ValidationError(errors)


def _apply(channel: ChannelConfig, data: dict) -> None:
    unknown = set(data) - set(CHANNEL_FIELDS)
    if unknown:
        raise ValidationError({f: _("Unknown field.") for f in sorted(unknown)})
    for key, value in data.items():
        if key == "secret" and value is None:
            value = ""
        setattr(channel, key, value.strip() if isinstance(value, str) else value)


@transaction.atomic
def channel_create(*, actor, **data) -> ChannelConfig:
    _require_admin(actor)
    channel = ChannelConfig(created_by=actor)
    _apply(channel, data)
    _validate_channel(channel)
    channel._history_user = actor
    channel.save()
    return channel


@transaction.atomic
def channel_update(*, actor, channel: ChannelConfig, **data) -> ChannelConfig:
    """Change a channel. An empty ``secret`` keeps the stored one (the form never shows
    it); ``secret=None`` removes it."""
    _require_admin(actor)
    channel = ChannelConfig.objects.select_for_update().get(pk=channel.pk)
    if "secret" in data and data["secret"] == "":
        data.pop("secret")
    _apply(channel, data)
    _validate_channel(channel)
    channel._history_user = actor
    channel.save()
    return channel


@transaction.atomic
def channel_delete(*, actor, channel: ChannelConfig) -> None:
    """Delete a channel; its past deliveries stay in the log without the link."""
    _require_admin(actor)
    channel._history_user = actor
    channel.delete()


def channel_test(*, actor, channel: ChannelConfig) -> None:
    """Send a test message through ``channel`` now; raises ``errors.DeliveryError``
    with the channel's answer when it does not arrive."""
    _require_admin(actor)
    senders.send_direct(
        kind=channel.kind,
        config=channel,
        address=channel.email_to,
        title=_("SalesOps test message"),
        body=_("%(user)s sent this test from the channel settings of “%(name)s”.")
        % {"user": actor.label, "name": channel.name},
        link="",
    )


# --- deliveries (sales-ops admins) ----------------------------------------------------------------


@transaction.atomic
def delivery_retry(*, actor, delivery: Delivery) -> Delivery:
    """Send a delivery again now (also one that was given up after the maximum number of
    attempts: one more try)."""
    if actor is None or not actor.is_admin_role:
        raise PermissionDenied(_("Only sales-ops admins may retry deliveries."))
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.status == DeliveryStatus.SENT:
        raise ValidationError({"status": _("This delivery was already sent.")})
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = clock.now() + sending.IN_FLIGHT
    delivery.save(update_fields=["status", "next_attempt_at"])
    tasks.deliver_after_commit([delivery.pk])
    return delivery


# --- outbound calls -------------------------------------------------------------------------------


def outbound_create(
    *,
    url: str,
    body: str,
    secret: str = "",
    headers: dict | None = None,
    source_type: str = "",
    source_id: int | None = None,
    source_ref: int | None = None,
    send: bool = True,
) -> Delivery:
    """Queue one signed HTTP POST (a rule's webhook; later the ERP callbacks) on the
    delivery mechanism, in the caller's transaction: the body is stored exactly as signed,
    so every attempt sends the same bytes. With ``send`` the first attempt goes out after
    the commit; a caller queueing many passes ``send=False`` and then
    :func:`deliveries_send` once. With a ``secret`` the body is signed
    (``X-SalesOps-Signature: sha256=<hex HMAC-SHA256>``). The URL is checked again before
    every attempt."""
    delivery = Delivery.objects.create(
        channel=DeliveryKind.WEBHOOK,
        url=url,
        body=body,
        signature=senders.sign(secret, body.encode()) if secret else "",
        headers=headers or {},
        source_type=source_type,
        source_id=source_id,
        source_ref=source_ref,
        next_attempt_at=clock.now() + sending.IN_FLIGHT,
    )
    if send:
        tasks.deliver_after_commit([delivery.pk])
    return delivery


def deliveries_send(ids: list[int]) -> None:
    """First attempt at ``ids`` after the current transaction commits (one task per
    hundred); what the queue loses, the retry sweep sends once their lease has passed."""
    tasks.deliver_after_commit(list(ids))


POLICY_FIELDS = ("max_attempts", "first_retry_seconds")


@transaction.atomic
def delivery_policy_update(*, actor, **data) -> DeliveryPolicy:
    """Change how often deliveries are tried (sales-ops admins); audited through its
    history and in force for the next attempt."""
    _require_admin(actor)
    policy = DeliveryPolicy.objects.select_for_update().order_by("pk").first() or DeliveryPolicy()
    errors = {}
    for key, value in data.items():
        if key not in POLICY_FIELDS:
            errors[key] = [_("Unknown field.")]
            continue
        setattr(policy, key, value)
    try:
        policy.full_clean(exclude=[k for k in errors])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    now = clock.now()  # forward even with a frozen clock: it is the form's version
    if policy.pk and policy.updated_at and now <= policy.updated_at:
        now = policy.updated_at + dt.timedelta(microseconds=1)
    policy.updated_at = now
    save_with_history(policy, actor, "updated")
    return policy
