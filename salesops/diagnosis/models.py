"""The 12-point self-diagnosis (SPEC O2): its settings and the runs it keeps.

The checks themselves are code (:mod:`.checks`); what a sales-ops admin changes — each
check's healthy threshold and amber band, the look-back window, the hours after which a
lead counts as sleeping, the KPI process band — lives in :class:`DiagnosisPolicy`."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesops.core import clock


class DiagnosisPolicy(models.Model):
    """The one row of Settings · Diagnosis (defaults until an admin saves it).

    ``thresholds`` maps a check code to ``{"green": "…", "amber": "…"}`` (decimal
    strings); a check missing from it uses its built-in defaults."""

    thresholds = models.JSONField(_("thresholds"), default=dict, blank=True)
    window_days = models.PositiveSmallIntegerField(_("look-back window (days)"), default=30)
    sleeping_hours = models.PositiveSmallIntegerField(
        _("a lead sleeps after (hours without a touch)"), default=48
    )
    process_min = models.PositiveSmallIntegerField(_("KPI process share at least (%)"), default=25)
    process_max = models.PositiveSmallIntegerField(_("KPI process share at most (%)"), default=40)
    tranche_months = models.PositiveSmallIntegerField(
        _("forfeited tranches: months looked back"), default=12
    )
    weekly_run = models.BooleanField(_("run the diagnosis every Monday"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("diagnosis settings")
        verbose_name_plural = _("diagnosis settings")

    def __str__(self):
        return str(_("Diagnosis settings"))

    @classmethod
    def current(cls) -> DiagnosisPolicy:
        """The saved row, or the defaults (unsaved) before an admin saves the page."""
        return cls.objects.order_by("pk").first() or cls()


# Bounds of the whole-number settings (validated by services.policy_save).
POLICY_LIMITS = {
    "window_days": (7, 180),
    "sleeping_hours": (4, 720),
    "process_min": (0, 100),
    "process_max": (0, 100),
    "tranche_months": (1, 36),
}


class RunState(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class RunTrigger(models.TextChoices):
    MANUAL = "manual", _("Run from the page")
    WEEKLY = "weekly", _("Weekly schedule")
    DEMO = "demo", _("Demo data")


class DiagnosisRun(models.Model):
    """One diagnosis of one scope (the organisation, a team subtree or a rep) as of
    ``as_of``: every check's value, light and the thresholds it was judged by, kept so the
    page and the printed report show the previous diagnosis beside the current one.

    ``results`` is a list, in check order, of ``{"code", "value", "light", "green",
    "amber", "unit", "available", "numerator", "denominator", "note"}`` (numbers as
    strings)."""

    scope_key = models.CharField(_("scope"), max_length=40)
    scope_label = models.CharField(_("scope name"), max_length=200, blank=True)
    as_of = models.DateTimeField(_("diagnosed at"), default=clock.now)
    state = models.CharField(
        _("state"), max_length=10, choices=RunState.choices, default=RunState.RUNNING
    )
    trigger = models.CharField(
        _("started by"), max_length=10, choices=RunTrigger.choices, default=RunTrigger.MANUAL
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    results = models.JSONField(_("results"), default=list, blank=True)
    settings_snapshot = models.JSONField(_("settings used"), default=dict, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("run by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("diagnosis run")
        verbose_name_plural = _("diagnosis runs")
        ordering = ["-as_of", "-id"]
        indexes = [models.Index(fields=["scope_key", "state", "-as_of"], name="diag_run_scope")]

    def __str__(self):
        return f"{self.scope_key} {self.as_of:%Y-%m-%d %H:%M} ({self.state})"

    def result(self, code: str) -> dict | None:
        return next((r for r in self.results if r.get("code") == code), None)
