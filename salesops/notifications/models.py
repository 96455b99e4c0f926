"""In-app inbox, organisation channels (group bots, shared mailboxes), per-user channel
preferences and the delivery log of every message sent outside the inbox (SPEC P4)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesops.core import clock
from salesops.core.models import BaseModel


class ChannelKind(models.TextChoices):
    """Where a copy of a notification goes. The inbox is not a channel: it is always on."""

    EMAIL = "email", _("Email")
    WECOM = "wecom", _("WeCom group bot")
    DINGTALK = "dingtalk", _("DingTalk group bot")
    FEISHU = "feishu", _("Feishu group bot")


BOT_KINDS = (ChannelKind.WECOM, ChannelKind.DINGTALK, ChannelKind.FEISHU)


class Notification(models.Model):
    """One message in one user's inbox. ``kind`` picks the channels through the
    recipient's preferences; ``source`` says what produced it (``rule:5:v2``, ``task:12``)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=64)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    source = models.CharField(_("source"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The inbox (unread first, newest first) and the unread badge's COUNT.
            models.Index(
                fields=["recipient", "read_at", "-created_at"], name="notif_recipient_read"
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class ChannelConfig(BaseModel):
    """An organisation-level channel set up by a sales-ops admin: a WeCom, DingTalk or
    Feishu group bot (its webhook URL, and for DingTalk/Feishu the signing secret), or a
    shared mailbox. Users pick the active ones in their preferences."""

    kind = models.CharField(_("kind"), max_length=20, choices=ChannelKind.choices)
    name = models.CharField(_("name"), max_length=100, unique=True)
    webhook_url = models.CharField(
        _("webhook URL"),
        max_length=500,
        blank=True,
        help_text=_("The group bot's address, copied from the group's bot settings."),
    )
    secret = models.CharField(
        _("signing secret"),
        max_length=200,
        blank=True,
        help_text=_("DingTalk “SEC…” or Feishu signature key, if the bot has signing switched on."),
    )
    email_to = models.EmailField(
        _("email address"), blank=True, help_text=_("For a shared mailbox channel.")
    )
    active = models.BooleanField(_("active"), default=True)
    # The secret and the URL's access token are credentials: history keeps who changed
    # the channel and when, not the secret itself.
    history = HistoricalRecords(excluded_fields=["secret"])

    class Meta:
        verbose_name = _("notification channel")
        verbose_name_plural = _("notification channels")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def is_bot(self) -> bool:
        return self.kind in BOT_KINDS

    @property
    def target_display(self) -> str:
        """Where it sends, without the access token in the URL's query."""
        if self.kind == ChannelKind.EMAIL:
            return self.email_to
        parts = urlsplit(self.webhook_url)
        shown = f"{parts.scheme}://{parts.netloc}{parts.path}"
        return shown + ("?…" if parts.query else "")


class NotificationPreference(models.Model):
    """Which channels a user wants for one kind of notification (``*`` = every kind
    without its own row). The inbox is always on; without any row a user gets the inbox
    plus email when they have an email address (see ``services.DEFAULT_CHANNELS``)."""

    ALL_KINDS = "*"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    kind = models.CharField(_("kind"), max_length=64)
    email = models.BooleanField(_("email"), default=False)
    channels = models.ManyToManyField(
        ChannelConfig, verbose_name=_("channels"), blank=True, related_name="preferences"
    )
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notif_pref_unique_user_kind")
        ]

    def __str__(self):
        return f"{self.user} · {self.kind}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """One attempt-tracked copy of a notification sent to email or a bot.

    ``next_attempt_at`` is set while the delivery still has to go out (first try, or a
    retry after a failure) and cleared when it was sent or given up after
    ``NOTIFY_MAX_ATTEMPTS``, so the retry sweep is one indexed range query."""

    notification = models.ForeignKey(
        Notification,
        verbose_name=_("notification"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    channel = models.CharField(_("channel"), max_length=20, choices=ChannelKind.choices)
    config = models.ForeignKey(
        ChannelConfig,
        verbose_name=_("channel configuration"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    address = models.CharField(_("address"), max_length=254, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
        db_index=True,
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True, db_index=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_channel_display()} → {self.target_display}"

    @property
    def target_display(self) -> str:
        if self.channel == ChannelKind.EMAIL and self.address:
            return self.address
        return str(self.config) if self.config_id else "—"

    @property
    def gave_up(self) -> bool:
        return self.status == DeliveryStatus.FAILED and self.next_attempt_at is None
