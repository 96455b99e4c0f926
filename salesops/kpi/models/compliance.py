"""The behaviour-compliance scan (K10): its settings, runs and review queue."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesops.core import clock


class CompliancePolicy(models.Model):
    """What the scan looks for (one row), edited on Settings · KPI (P2)."""

    watermark_text = models.CharField(
        _("quote watermark text"), max_length=200, default="SalesOps 示例科技有限公司"
    )
    quote_evidence_types = models.CharField(
        _("evidence types that are quotes"),
        max_length=200,
        default="quote,proposal",
        help_text=_("Comma-separated evidence type codes."),
    )
    approved_phrases = models.TextField(_("approved policy wording"), blank=True, default="")
    forbidden_phrases = models.TextField(
        _("forbidden wording"),
        blank=True,
        default="保证收益\n绝对最低价\n包过\n返点给个人\n私下付款",
        help_text=_("One phrase per line."),
    )
    core_parameters = models.TextField(
        _("core technical parameters"),
        blank=True,
        default="",
        help_text=_("One per line; mentioning one to an account without an NDA is a finding."),
    )
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("compliance settings")
        verbose_name_plural = _("compliance settings")

    def __str__(self):
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> CompliancePolicy:
        policy = cls.objects.order_by("pk").first()
        return policy or cls.objects.create()


class FindingKind(models.TextChoices):
    WATERMARK = "watermark", _("Quote without the company watermark")
    FORBIDDEN = "forbidden", _("Forbidden wording")
    NDA = "nda", _("Core parameter disclosed without an NDA")
    UNREADABLE = "unreadable", _("Document could not be read")


class FindingState(models.TextChoices):
    OPEN = "open", _("To review")
    CONFIRMED = "confirmed", _("Confirmed")
    DISMISSED = "dismissed", _("Dismissed")


class ComplianceScan(models.Model):
    started_at = models.DateTimeField(_("started at"), default=clock.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    documents = models.PositiveIntegerField(_("documents"), default=0)
    texts = models.PositiveIntegerField(_("messages and notes"), default=0)
    findings = models.PositiveIntegerField(_("findings"), default=0)
    seconds = models.DecimalField(_("seconds"), max_digits=10, decimal_places=3, default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("compliance scan")
        verbose_name_plural = _("compliance scans")

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M} · {self.findings}"


class ComplianceFinding(models.Model):
    """A possible violation waiting for review; ``fingerprint`` makes a rescan add nothing."""

    kind = models.CharField(_("kind"), max_length=20, choices=FindingKind.choices)
    state = models.CharField(
        _("state"), max_length=10, choices=FindingState.choices, default=FindingState.OPEN
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    account = models.ForeignKey(
        "customers.Account", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField(_("found in"), max_length=20)
    object_id = models.PositiveBigIntegerField()
    excerpt = models.CharField(_("excerpt"), max_length=500, blank=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    fingerprint = models.CharField(max_length=64, unique=True, editable=False)
    occurred_at = models.DateTimeField(_("occurred at"), default=clock.now, db_index=True)
    scan = models.ForeignKey(
        ComplianceScan, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("compliance finding")
        verbose_name_plural = _("compliance findings")
        indexes = [models.Index(fields=["state", "-created_at"], name="kpi_finding_queue")]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.source} #{self.object_id}"
