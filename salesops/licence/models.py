"""Business-licence scans and Settings · Business licence."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesops.core import clock


class PhotoStorage(FileSystemStorage):
    """Licence photos live beside deal evidence, outside the web root (var/private/licence):
    read back only through the scan's photo view, by the user who took it. The location is
    read from the settings at each use, so tests can move it."""

    @property
    def base_location(self):
        return str(Path(settings.EVIDENCE_ROOT).parent / "licence")

    @property
    def location(self):
        return os.path.abspath(self.base_location)


def photo_storage() -> FileSystemStorage:
    return PhotoStorage(base_url=None)


class LicencePolicy(models.Model):
    """The one row of Settings · Business licence (defaults until an admin saves it)."""

    max_image_mb = models.PositiveIntegerField(_("largest photo (MB)"), default=10)
    keep_photo_default = models.BooleanField(
        _("keep the photo as an attachment by default"), default=False
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("business licence settings")
        verbose_name_plural = _("business licence settings")

    def __str__(self):
        return str(_("Business licence settings"))

    @classmethod
    def current(cls) -> LicencePolicy:
        """The saved row, or the defaults (unsaved) before an admin saves the page."""
        return cls.objects.order_by("pk").first() or cls()


class ScanState(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    READING = "reading", _("Reading")
    DONE = "done", _("Recognised")
    FAILED = "failed", _("Failed")


class LicenceScan(models.Model):
    """One photo of a 营业执照 read by the worker: its progress, the fields read (each
    with a confidence) and, only while it is read or when the user keeps it, the photo."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="licence_scans",
        verbose_name=_("user"),
    )
    state = models.CharField(
        _("state"), max_length=10, choices=ScanState.choices, default=ScanState.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    image = models.FileField(
        _("photo"), upload_to="%Y/%m/", storage=photo_storage, blank=True, max_length=200
    )
    image_name = models.CharField(_("file name"), max_length=200, blank=True)
    image_size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    keep_photo = models.BooleanField(_("keep the photo"), default=False)
    fields = models.JSONField(_("fields read"), default=dict, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), default=clock.now)
    started_at = models.DateTimeField(_("reading started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    ocr_seconds = models.FloatField(_("OCR time (s)"), null=True, blank=True)
    # The record the form saved with this photo kept ("lead" or "account" and its id): its
    # page shows the photo to whoever may see the record (services.scan_attach).
    record_type = models.CharField(_("kept with"), max_length=20, blank=True)
    record_id = models.PositiveBigIntegerField(_("record id"), null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["progress"])

    class Meta:
        verbose_name = _("business licence scan")
        verbose_name_plural = _("business licence scans")
        ordering = ("-created_at", "-pk")
        indexes = [models.Index(fields=["record_type", "record_id"], name="licence_scan_record")]

    def __str__(self):
        return str(_("Business licence scan %(id)s") % {"id": self.pk})

    @property
    def finished(self) -> bool:
        return self.state in (ScanState.DONE, ScanState.FAILED)
