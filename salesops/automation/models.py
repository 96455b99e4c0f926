"""Automation rules (trigger → condition → actions), their immutable versions and the
firings they produced (SPEC P2, P4). Webhook calls are deliveries of the notifications
app (one delivery mechanism for every outbound call).

A firing is a unique row ``(rule, entity, object_id, key)``: whoever inserts it first owns
it and runs its actions, so a sweep run twice, or by two workers at once, acts once.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesops.core import clock
from salesops.core.models import BaseModel


class TriggerType(models.TextChoices):
    EVENT = "event", _("Event")
    TIMER = "timer", _("Timer")
    SCHEDULE = "schedule", _("Schedule")


def new_secret() -> str:
    return secrets.token_hex(32)


class Rule(BaseModel):
    """An automation rule. What it does lives in :class:`RuleVersion`; the rule holds the
    identity, the on/off switch and copies of the current version's trigger type, entity and
    event so the engine can find the rules to run with one indexed query."""

    code = models.SlugField(
        _("code"),
        max_length=80,
        blank=True,
        help_text=_(
            "Stable identifier of a default rule shipped with SalesOps (empty for your own)."
        ),
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    is_active = models.BooleanField(_("active"), default=True)
    trigger_type = models.CharField(_("trigger"), max_length=20, choices=TriggerType.choices)
    entity = models.CharField(_("entity"), max_length=50, blank=True)
    event = models.CharField(_("event"), max_length=100, blank=True)
    current_version = models.ForeignKey(
        "RuleVersion",
        verbose_name=_("current version"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Timers and schedules fire for what falls due after this instant: switching a rule on
    # (or pointing its timer at another field) never replays the past.
    watch_from = models.DateTimeField(_("watching since"), default=clock.now)
    webhook_secret = models.CharField(
        _("webhook signing secret"), max_length=128, default=new_secret, editable=False
    )
    history = HistoricalRecords(excluded_fields=["webhook_secret"])

    class Meta:
        verbose_name = _("automation rule")
        verbose_name_plural = _("automation rules")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=~Q(code=""), name="automation_rule_unique_code"
            ),
        ]
        indexes = [
            models.Index(fields=["event", "is_active"], name="auto_rule_event_active"),
            models.Index(fields=["trigger_type", "is_active"], name="auto_rule_type_active"),
        ]

    def __str__(self):
        return self.name


class RuleVersion(models.Model):
    """One immutable edition of a rule's trigger, condition and actions. Editing a rule
    adds a version; firings keep pointing to the version that produced them."""

    rule = models.ForeignKey(
        Rule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    trigger_type = models.CharField(_("trigger"), max_length=20, choices=TriggerType.choices)
    entity = models.CharField(_("entity"), max_length=50, blank=True)
    trigger = models.JSONField(_("trigger settings"), default=dict, blank=True)
    condition = models.TextField(_("condition"), blank=True, max_length=2000)
    actions = models.JSONField(_("actions"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("rule version")
        verbose_name_plural = _("rule versions")
        ordering = ["rule", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "number"], name="automation_version_unique"),
        ]

    def __str__(self):
        return f"{self.rule_id} v{self.number}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("rule versions are immutable; create a new version instead")
        super().save(*args, **kwargs)


class FiringStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")
    FAILED = "failed", _("An action failed")
    CONDITION_ERROR = "condition_error", _("Condition could not be evaluated")


class RuleFiring(models.Model):
    """A rule fired for a record (or, for an entity-less schedule, for an instant).

    ``key`` says which occurrence: ``event:<event id>``, ``timer:level:<n>:<start instant>`` or
    ``schedule:<local instant>``. ``condition_values`` are the variables the condition
    (and the timer's "unless") read, with their values, so people can see why it fired;
    ``results`` say what each action did."""

    rule = models.ForeignKey(
        Rule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="firings"
    )
    version = models.ForeignKey(
        RuleVersion, verbose_name=_("version"), on_delete=models.PROTECT, related_name="firings"
    )
    entity = models.CharField(_("entity"), max_length=50, blank=True)
    # 0 for a firing that is about no record (entity-less schedule): NULLs would not be
    # unique, and the uniqueness is what makes a firing happen once.
    object_id = models.BigIntegerField(_("record"), default=0)
    key = models.CharField(_("occurrence"), max_length=150)
    fired_at = models.DateTimeField(_("fired at"), default=clock.now)
    status = models.CharField(
        _("status"), max_length=20, choices=FiringStatus.choices, default=FiringStatus.PENDING
    )
    condition_values = models.JSONField(_("condition values"), default=dict, blank=True)
    results = models.JSONField(_("results"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    claim = models.UUIDField(_("claim token"), editable=False)

    class Meta:
        verbose_name = _("rule firing")
        verbose_name_plural = _("rule firings")
        ordering = ["-fired_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "entity", "object_id", "key"], name="automation_firing_once"
            ),
        ]
        indexes = [
            models.Index(fields=["claim"], name="auto_firing_claim"),
            models.Index(fields=["rule", "-fired_at"], name="auto_firing_rule_fired"),
            models.Index(fields=["entity", "object_id"], name="auto_firing_record"),
            models.Index(fields=["-fired_at"], name="auto_firing_fired"),
        ]

    def __str__(self):
        return f"{self.rule_id}:{self.entity}#{self.object_id}:{self.key}"


class RuleWatermark(models.Model):
    """How far a sweep has read for a rule. Timer rules keep one per level: every record
    whose start field is at or before ``cutoff`` has been looked at for that level, so the
    next sweep reads only ``(cutoff, new cutoff]`` on the indexed start field. A timer
    rule's level ``engine.CHANGES_LEVEL`` (1000) is its change-time watermark instead:
    records written after it whose start was already behind a cutoff are looked at once
    more (a task created overdue, a date the feed brings late). Schedule rules keep
    level 0 at the last scheduled instant they processed."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="watermarks")
    level = models.PositiveIntegerField(default=0)
    cutoff = models.DateTimeField()

    class Meta:
        verbose_name = _("rule watermark")
        verbose_name_plural = _("rule watermarks")
        constraints = [
            models.UniqueConstraint(fields=["rule", "level"], name="automation_watermark_unique"),
        ]

    def __str__(self):
        return f"{self.rule_id} level {self.level} ≤ {self.cutoff}"
