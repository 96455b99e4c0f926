"""What the offline field app sent (the idempotency store) and the edits that collided
with a change made on the server meanwhile."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class FieldPolicy(models.Model):
    """The one row of Settings · Offline field app (defaults until an admin saves it)."""

    max_leads = models.PositiveIntegerField(_("most leads kept offline per rep"), default=500)
    max_accounts = models.PositiveIntegerField(_("most accounts kept offline per rep"), default=300)
    max_batch = models.PositiveIntegerField(_("most outbox items per sync request"), default=500)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("offline field app settings")
        verbose_name_plural = _("offline field app settings")

    def __str__(self):
        return str(_("Offline field app settings"))

    @classmethod
    def current(cls) -> FieldPolicy:
        """The saved row, or the defaults (unsaved) before an admin saves the page."""
        return cls.objects.order_by("pk").first() or cls()


POLICY_LIMITS = {"max_leads": (10, 5000), "max_accounts": (10, 5000), "max_batch": (10, 5000)}


class SyncKind(models.TextChoices):
    LEAD_CREATE = "lead.create", _("New lead")
    CHECKIN_CREATE = "checkin.create", _("Check-in")
    NOTE_CREATE = "note.create", _("Follow-up note")
    LEAD_UPDATE = "lead.update", _("Lead edit")


class SyncStatus(models.TextChoices):
    APPLIED = "applied", _("applied")
    DUPLICATE = "duplicate", _("duplicate")
    CONFLICT = "conflict", _("conflict")
    REFUSED = "refused", _("refused")
    ERROR = "error", _("error")


class SyncItem(models.Model):
    """One outbox item the server received, keyed by the client's UUID: the same UUID
    again is answered from ``answer`` and writes nothing (the client may resend a batch
    whose answer it never got)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    client_uuid = models.UUIDField(_("client UUID"))
    kind = models.CharField(_("kind"), max_length=20, choices=SyncKind.choices)
    payload = models.JSONField(_("payload"), default=dict)
    status = models.CharField(_("status"), max_length=12, choices=SyncStatus.choices)
    answer = models.JSONField(_("answer"), default=dict)
    record_type = models.CharField(_("record type"), max_length=30, blank=True)
    record_id = models.PositiveBigIntegerField(_("record id"), null=True, blank=True)
    created_on_client = models.DateTimeField(_("created on the device"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        verbose_name = _("synced item")
        verbose_name_plural = _("synced items")
        ordering = ("-received_at", "-id")
        constraints = [
            models.UniqueConstraint(fields=("user", "client_uuid"), name="field_syncitem_uuid")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.client_uuid} ({self.status})"


class ConflictStatus(models.TextChoices):
    OPEN = "open", _("open")
    RESOLVED = "resolved", _("resolved")


class ConflictChoice(models.TextChoices):
    MINE = "mine", _("keep mine")
    THEIRS = "theirs", _("keep theirs")
    EDITED = "edited", _("edited value")


class SyncConflict(models.Model):
    """One field of an offline edit that the server did not apply because someone changed
    it meanwhile: the value the device started from (``base``), the server's value and the
    device's value, all kept, until the rep chooses."""

    item = models.ForeignKey(
        SyncItem, verbose_name=_("synced item"), on_delete=models.CASCADE, related_name="conflicts"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    record_type = models.CharField(_("record type"), max_length=30)
    record_id = models.PositiveBigIntegerField(_("record id"))
    field = models.CharField(_("field"), max_length=60)
    base_value = models.TextField(_("value the device started from"), blank=True)
    server_value = models.TextField(_("value on the server"), blank=True)
    client_value = models.TextField(_("value from the device"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ConflictStatus.choices, default=ConflictStatus.OPEN
    )
    chosen = models.CharField(
        _("choice"), max_length=10, choices=ConflictChoice.choices, blank=True
    )
    chosen_value = models.TextField(_("value applied"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sync conflict")
        verbose_name_plural = _("sync conflicts")
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=("user", "status"), name="field_conflict_open")]

    def __str__(self) -> str:
        return f"{self.record_type} {self.record_id}.{self.field}"
