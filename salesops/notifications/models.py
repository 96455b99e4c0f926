"""In-app inbox, organisation channels (group bots, shared mailboxes), per-user channel
preferences, and the one delivery log of every outbound call: copies of notifications
sent by email or a group bot, rules' webhooks and (later) ERP callbacks (SPEC P4)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
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


class DeliveryKind(models.TextChoices):
    """What a delivery is sent through: a notification channel, or a plain signed HTTP
    call (a rule's webhook). Each kind has its sender in ``senders``."""

    EMAIL = "email", _("Email")
    WECOM = "wecom", _("WeCom group bot")
    DINGTALK = "dingtalk", _("DingTalk group bot")
    FEISHU = "feishu", _("Feishu group bot")
    WEBHOOK = "webhook", _("Webhook")


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
    """One status for every kind of delivery. A failed delivery with a next attempt waits
    for its retry; without one it was given up ("gave up" on the page)."""

    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class DeliveryPolicy(models.Model):
    """How often a delivery is tried (one row, edited by a sales-ops admin on the
    deliveries settings page, audited): at most ``max_attempts`` attempts, the first
    retry ``first_retry_seconds`` after the first failure, each later wait twice the one
    before (at most six hours)."""

    max_attempts = models.PositiveSmallIntegerField(
        _("maximum attempts"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_("Attempts before a delivery is given up (1–20)."),
    )
    first_retry_seconds = models.PositiveIntegerField(
        _("first retry after (seconds)"),
        default=60,
        validators=[MinValueValidator(10), MaxValueValidator(21600)],
        help_text=_("Wait after the first failure (10–21600 s); each later wait doubles."),
    )
    updated_at = models.DateTimeField(_("updated at"), default=clock.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("delivery policy")
        verbose_name_plural = _("delivery policy")

    def __str__(self):
        return str(_("Delivery policy"))


class Delivery(models.Model):
    """One outbound call, tracked attempt by attempt: a copy of a notification sent by
    email or a group bot (``notification``, ``config``, ``address``), or a signed HTTP
    call (``url``, ``body`` stored exactly as signed, ``signature``, extra ``headers``) of
    a rule's webhook. ``source_type``/``source_id``/``source_ref`` say what made it
    (``rule``, the rule's id, the firing's id) without a key into the higher app.

    ``next_attempt_at`` is set while the delivery still has to go out (first try, or a
    retry after a failure) and cleared when it was sent or given up after the policy's
    maximum attempts, so the retry sweep is one indexed range query. ``log`` keeps one
    entry per attempt (instant, HTTP status, error, milliseconds); a receiver's answer
    is never kept."""

    notification = models.ForeignKey(
        Notification,
        verbose_name=_("notification"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    channel = models.CharField(_("channel"), max_length=20, choices=DeliveryKind.choices)
    config = models.ForeignKey(
        ChannelConfig,
        verbose_name=_("channel configuration"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    address = models.CharField(_("address"), max_length=254, blank=True)
    url = models.CharField(_("URL"), max_length=500, blank=True)
    body = models.TextField(_("body"), blank=True)
    signature = models.CharField(_("signature"), max_length=100, blank=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    source_type = models.CharField(_("source"), max_length=30, blank=True)
    source_id = models.BigIntegerField(_("source record"), null=True, blank=True)
    source_ref = models.BigIntegerField(_("source occurrence"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
        db_index=True,
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True, db_index=True)
    last_status_code = models.PositiveIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    log = models.JSONField(_("attempt log"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["source_type", "source_id"], name="notif_delivery_source"),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} → {self.target_display}"

    @property
    def target_display(self) -> str:
        if self.channel == DeliveryKind.WEBHOOK:
            return self.url
        if self.channel == ChannelKind.EMAIL and self.address:
            return self.address
        return str(self.config) if self.config_id else "—"

    @property
    def gave_up(self) -> bool:
        return self.status == DeliveryStatus.FAILED and self.next_attempt_at is None
