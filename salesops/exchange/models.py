"""Imports (X5): the job, its rows and report, the keys that make a re-import idempotent,
the header mappings people saved, the entity templates' versions, and the limits an
admin sets on Settings · Import and export."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesops.core import clock


class ExchangePolicy(models.Model):
    """The one row of Settings · Import and export (defaults until an admin saves it)."""

    max_file_mb = models.PositiveIntegerField(_("largest file (MB)"), default=50)
    max_rows = models.PositiveIntegerField(_("most rows per file"), default=200_000)
    dual_track_days = models.PositiveIntegerField(
        _("days an older template version still imports"), default=61
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("import and export settings")
        verbose_name_plural = _("import and export settings")

    def __str__(self):
        return str(_("Import and export settings"))

    @classmethod
    def current(cls) -> ExchangePolicy:
        """The saved row, or the defaults (unsaved) before an admin saves the page."""
        return cls.objects.order_by("pk").first() or cls()


class JobState(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    CHECKING = "checking", _("Checking")
    CHECKED = "checked", _("Checked")
    COMMITTING = "committing", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """One uploaded file: its header mapping, the dry run's report and the commit."""

    entity = models.CharField(_("entity"), max_length=40, db_index=True)
    state = models.CharField(
        _("state"), max_length=12, choices=JobState.choices, default=JobState.UPLOADED
    )
    filename = models.CharField(_("file name"), max_length=255)
    # Kept under MEDIA_ROOT/imports/ until the job is done (the worker reads it again).
    path = models.CharField(max_length=500, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    sheet = models.CharField(_("sheet"), max_length=100, blank=True)
    template_version = models.PositiveIntegerField(_("template version"), null=True, blank=True)
    headers = models.JSONField(_("headers"), default=list, blank=True)
    # Column index (as a string, JSON keys) → field key; a column without one is ignored.
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    # Column index → {"field": key, "how": "exact|saved|template|fuzzy", "score": n}: what
    # the page proposes; a fuzzy match waits for the user to confirm it.
    suggested = models.JSONField(_("suggested mapping"), default=dict, blank=True)
    mapping_confirmed = models.BooleanField(_("mapping confirmed"), default=False)
    notices = models.JSONField(_("notices"), default=list, blank=True)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    # status → number of rows, from the last dry run or the commit.
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    error = models.CharField(_("error"), max_length=1000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded at"), default=clock.now)
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    committed_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"#{self.pk} {self.filename}"

    @property
    def source(self) -> str:
        """What the history of every record this import writes names as its source."""
        return f"import #{self.pk}"


class RowStatus(models.TextChoices):
    CREATE = "create", _("OK (new)")
    UPDATE = "update", _("Will update")
    UNCHANGED = "unchanged", _("Unchanged")
    DUPLICATE = "duplicate", _("Duplicate")
    ERROR = "error", _("Error")


class ImportRow(models.Model):
    """One data row of a job: its values as read, its status and errors, and after the
    commit the record it wrote."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rows")
    row_no = models.PositiveIntegerField(_("row"))  # as the spreadsheet numbers it
    key = models.CharField(max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=RowStatus.choices)
    # [{"field": key, "label": header, "message": text}]
    errors = models.JSONField(_("errors"), default=list, blank=True)
    message = models.CharField(_("message"), max_length=500, blank=True)
    values = models.JSONField(_("values"), default=dict, blank=True)
    object_id = models.BigIntegerField(null=True, blank=True)
    committed = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("import row")
        verbose_name_plural = _("import rows")
        ordering = ["job", "row_no"]
        constraints = [
            models.UniqueConstraint(fields=["job", "row_no"], name="exchange_row_unique")
        ]
        indexes = [models.Index(fields=["job", "status", "row_no"])]

    def __str__(self):
        return f"{self.job_id}:{self.row_no} {self.status}"


class ImportKey(models.Model):
    """A row key already imported for ``entity`` and the record it wrote: the same row
    again is "unchanged", a changed row with the same key "will update" that record."""

    entity = models.CharField(max_length=40)
    key = models.CharField(max_length=64)
    object_id = models.BigIntegerField()
    content_hash = models.CharField(max_length=64)
    job = models.ForeignKey(ImportJob, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entity", "key"], name="exchange_key_unique")
        ]

    def __str__(self):
        return f"{self.entity}:{self.key[:12]} → {self.object_id}"


class HeaderMapping(models.Model):
    """A header someone mapped to a field by hand, offered again for the next file."""

    entity = models.CharField(max_length=40)
    header = models.CharField(max_length=200)
    field_key = models.CharField(max_length=100)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    saved_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entity", "header"], name="exchange_mapping_unique")
        ]

    def __str__(self):
        return f"{self.entity}: {self.header} → {self.field_key}"


class TemplateVersion(models.Model):
    """An entity template's columns as published: a new version when a field is added,
    renamed or removed. A file made from an older version imports for
    ``ExchangePolicy.dual_track_days`` after the next version was published."""

    entity = models.CharField(max_length=40)
    version = models.PositiveIntegerField()
    # [{"key": ..., "zh": ..., "en": ...}] in column order
    fields = models.JSONField(default=list)
    signature = models.CharField(max_length=64)
    # {"added": [...], "renamed": [[key, old, new]], "removed": [...]} against the previous
    changes = models.JSONField(default=dict, blank=True)
    published_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["entity", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "version"], name="exchange_version_unique")
        ]

    def __str__(self):
        return f"{self.entity} v{self.version}"


class AppliedTemplate(models.Model):
    """An app template applied to this installation (the page, the CLI, the demo): what
    it was, who applied it and what it changed. The home page offers an industry
    template until one has been applied."""

    name = models.CharField(_("name"), max_length=200, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("applied by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    applied_at = models.DateTimeField(_("applied at"), default=clock.now)
    # section → {"created": n, "changed": n, "unchanged": n}
    counts = models.JSONField(_("counts"), default=dict, blank=True)

    class Meta:
        verbose_name = _("applied app template")
        verbose_name_plural = _("applied app templates")
        ordering = ["-applied_at", "-pk"]

    def __str__(self):
        return f"{self.name or '—'} · {self.applied_at:%Y-%m-%d %H:%M}"
