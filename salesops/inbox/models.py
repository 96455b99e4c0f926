"""The unified inbox (SPEC A9): messages from WeCom, DingTalk, email and the API in one
place, each matched to a customer and tagged with a scenario by editable keyword rules.

``InboxSource`` is one configured entry point (a WeCom app's callback, a DingTalk robot,
an IMAP mailbox, the API); its secrets never leave the server in full and history keeps
who changed a source, not the secrets. ``Message`` is one message in or out; the source's
own message id is unique per source, so a replay or a re-delivered mail is recognised.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesops.core.models import BaseModel
from salesops.core.visibility import OwnedQuerySet, visible_owner_ids

SECRET_FIELDS = ("token", "aes_key", "agent_secret", "app_secret", "imap_password")


class SourceKind(models.TextChoices):
    WECOM = "wecom", _("WeCom")
    DINGTALK = "dingtalk", _("DingTalk")
    EMAIL = "email", _("Email (IMAP)")
    API = "api", _("API")


class InboxSource(BaseModel):
    """A configured entry point of the inbox, with what it needs to check what arrives
    (WeCom token and EncodingAESKey, DingTalk app secret) and to answer (WeCom agent
    secret, IMAP login)."""

    kind = models.CharField(_("kind"), max_length=10, choices=SourceKind.choices)
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    corp_id = models.CharField(_("WeCom corp id"), max_length=64, blank=True)
    agent_id = models.CharField(_("WeCom agent id"), max_length=32, blank=True)
    token = models.CharField(_("WeCom callback token"), max_length=64, blank=True)
    aes_key = models.CharField(
        _("WeCom EncodingAESKey"),
        max_length=43,
        blank=True,
        help_text=_("The 43 characters shown on the WeCom callback settings."),
    )
    agent_secret = models.CharField(_("WeCom agent secret"), max_length=128, blank=True)
    app_secret = models.CharField(_("DingTalk app secret"), max_length=128, blank=True)
    api_base = models.CharField(
        _("API address"),
        max_length=200,
        blank=True,
        help_text=_("Leave empty for the official WeCom address."),
    )
    imap_host = models.CharField(_("IMAP host"), max_length=200, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_user = models.CharField(_("IMAP user"), max_length=200, blank=True)
    imap_password = models.CharField(_("IMAP password"), max_length=200, blank=True)
    imap_folder = models.CharField(_("IMAP folder"), max_length=100, default="INBOX")
    imap_ssl = models.BooleanField(_("IMAP over SSL"), default=True)
    poll_minutes = models.PositiveIntegerField(
        _("poll every (minutes)"),
        default=5,
        help_text=_("How often the worker reads new mail from this mailbox."),
    )
    replay_window_seconds = models.PositiveIntegerField(
        _("replay window (seconds)"),
        default=300,
        help_text=_(
            "A callback whose timestamp is further off than this is refused; a nonce is "
            "remembered this long (DingTalk allows at most one hour)."
        ),
    )
    last_polled_at = models.DateTimeField(_("last polled at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    lead_channel = models.ForeignKey(
        "leads.Channel",
        verbose_name=_("lead channel"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    history = HistoricalRecords(excluded_fields=list(SECRET_FIELDS))

    class Meta:
        verbose_name = _("inbox source")
        verbose_name_plural = _("inbox sources")
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("inbox:source_edit", args=[self.pk])


class SeenNonce(models.Model):
    """A callback nonce already accepted from a source, kept for the replay window: the
    same nonce again is a replay and is refused."""

    source = models.ForeignKey(InboxSource, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=100)
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "nonce"], name="inbox_nonce_once"),
        ]

    def __str__(self):
        return self.nonce


class Scenario(models.TextChoices):
    INQUIRY = "inquiry", _("Inquiry")
    COMPLAINT = "complaint", _("Complaint")
    RENEWAL = "renewal", _("Renewal")
    OTHER = "other", _("Other")


class ScenarioRule(BaseModel):
    """Keywords that tag a message with a scenario; the highest-priority rule with a
    keyword in the subject or body wins."""

    scenario = models.CharField(
        _("scenario"),
        max_length=10,
        choices=[c for c in Scenario.choices if c[0] != Scenario.OTHER],
    )
    keywords = models.TextField(
        _("keywords"),
        max_length=4000,
        help_text=_("One keyword or phrase per line, Chinese or English; case does not matter."),
    )
    priority = models.IntegerField(
        _("priority"), default=0, help_text=_("Higher wins when several rules match.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("scenario rule")
        verbose_name_plural = _("scenario rules")
        ordering = ["-priority", "id"]

    def __str__(self):
        return f"{self.get_scenario_display()} ({self.priority})"

    def keyword_list(self) -> list[str]:
        return [k.strip() for k in self.keywords.replace(",", "\n").splitlines() if k.strip()]


class ContactHandle(BaseModel):
    """An address a contact writes from that the contact record has no field for (a WeCom
    external user id, a DingTalk user id); learnt when a person links a message."""

    kind = models.CharField(_("kind"), max_length=10, choices=SourceKind.choices)
    value = models.CharField(_("address"), max_length=200)
    contact = models.ForeignKey(
        "customers.Contact", on_delete=models.CASCADE, related_name="inbox_handles"
    )

    class Meta:
        verbose_name = _("contact address")
        verbose_name_plural = _("contact addresses")
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="inbox_handle_unique"),
        ]

    def __str__(self):
        return self.value


class Direction(models.TextChoices):
    IN = "in", _("Incoming")
    OUT = "out", _("Outgoing")


class MessageStatus(models.TextChoices):
    NEW = "new", _("New")
    HANDLED = "handled", _("Handled")


class MatchedBy(models.TextChoices):
    NONE = "", _("Not matched")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    HANDLE = "handle", _("WeCom / DingTalk id")
    LEAD = "lead", _("Lead")
    MANUAL = "manual", _("Linked by hand")


class MessageQuerySet(OwnedQuerySet):
    """Visible with the matched record's owner (the assignee), as the account would be;
    customer success also through its book. Unmatched messages (no assignee) are for
    managers, directors and admins to link: a rep never sees another rep's messages nor
    the unmatched ones."""

    owner_path = "assignee"
    account_path = "account"

    def visible_to(self, user):
        scoped = super().visible_to(user)
        if user is None or not user.is_authenticated or not user.is_active:
            return scoped
        if visible_owner_ids(user) is None:
            return scoped
        if user.is_manager_role:
            return scoped | self.filter(assignee__isnull=True)
        return scoped

    def editable_by(self, user):
        if user is None or not user.is_authenticated or getattr(user, "is_read_only_role", 0):
            return self.none()
        return self.visible_to(user)

    def incoming(self):
        return self.filter(direction=Direction.IN)


class Message(BaseModel):
    """One message in or out of the inbox, with what it was matched to, its scenario (and
    the keyword that decided it) and what it led to (a lead, a complaint, a renewal)."""

    source = models.ForeignKey(
        InboxSource, verbose_name=_("source"), on_delete=models.PROTECT, related_name="messages"
    )
    direction = models.CharField(
        _("direction"), max_length=3, choices=Direction.choices, default=Direction.IN
    )
    channel = models.CharField(_("channel"), max_length=10, choices=SourceKind.choices)
    source_message_id = models.CharField(_("message id at the source"), max_length=200)
    sender_address = models.CharField(_("sender"), max_length=200, blank=True)
    sender_name = models.CharField(_("sender name"), max_length=200, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("body"), max_length=20000, blank=True)
    received_at = models.DateTimeField(_("received at"), db_index=True)
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbox_messages",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbox_messages",
    )
    lead = models.ForeignKey(
        "leads.Lead",
        verbose_name=_("lead"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbox_messages",
    )
    matched_by = models.CharField(
        _("matched by"), max_length=10, choices=MatchedBy.choices, blank=True
    )
    scenario = models.CharField(
        _("scenario"), max_length=10, choices=Scenario.choices, default=Scenario.OTHER
    )
    scenario_keyword = models.CharField(_("matched keyword"), max_length=100, blank=True)
    complaint = models.ForeignKey(
        "aftersales.Complaint",
        verbose_name=_("complaint"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbox_messages",
    )
    renewal = models.ForeignKey(
        "aftersales.Renewal",
        verbose_name=_("renewal"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbox_messages",
    )
    outcome_note = models.CharField(_("what happened"), max_length=300, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbox_messages",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.NEW
    )
    reply_to = models.ForeignKey(
        "self",
        verbose_name=_("in reply to"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="replies",
    )
    # Where a reply goes back: DingTalk's session webhook, the mail's Message-ID …
    reply_address = models.CharField(max_length=500, blank=True)
    delivery_error = models.CharField(_("delivery error"), max_length=500, blank=True)
    history = HistoricalRecords(excluded_fields=["reply_address"])

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_message_id"], name="inbox_message_once_per_source"
            ),
        ]
        indexes = [
            models.Index(fields=["assignee", "-received_at"], name="inbox_msg_assignee"),
            models.Index(
                fields=["-received_at"], condition=Q(assignee__isnull=True), name="inbox_unmatched"
            ),
        ]

    def __str__(self):
        return self.subject or self.body[:60] or self.source_message_id

    def get_absolute_url(self):
        return reverse("inbox:message_detail", args=[self.pk])

    @property
    def is_matched(self) -> bool:
        return self.account_id is not None or self.lead_id is not None
