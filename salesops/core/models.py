"""Abstract base models shared by every business model."""

import datetime as dt

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from . import clock


def required_not_null(exc: ValidationError) -> ValidationError:
    """``exc`` with Django's "This field cannot be null." (a programmer's message, shown
    when a service gets ``None`` for a required field) replaced by the form message
    people know, "This field is required." (zh-Hans "这个字段是必填项。")."""
    if not hasattr(exc, "error_dict"):
        return exc
    required = forms.Field.default_error_messages["required"]
    return ValidationError(
        {
            field: [
                ValidationError(required, code="required") if e.code == "null" else e
                for e in errors
            ]
            for field, errors in exc.error_dict.items()
        }
    )


class TimeStampedModel(models.Model):
    """Creation and last-change instants, both taken from ``core.clock``.

    Field validation (``full_clean``) never tells a person a field "cannot be null": an
    empty required field is "required" (:func:`required_not_null`)."""

    created_at = models.DateTimeField(
        _("created at"), default=clock.now, editable=False, db_index=True
    )
    updated_at = models.DateTimeField(_("updated at"), default=clock.now, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        # Always forward, even with a frozen or coarse clock: ``updated_at`` is the
        # record's version for optimistic concurrency (core/concurrency.py).
        now = clock.now()
        if self.pk is not None and self.updated_at is not None and now <= self.updated_at:
            now = self.updated_at + dt.timedelta(microseconds=1)
        self.updated_at = now
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "updated_at"}
        super().save(*args, **kwargs)

    def clean_fields(self, exclude=None):
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as exc:
            raise required_not_null(exc) from None


class BaseModel(TimeStampedModel):
    """Timestamps plus the user who created the record."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    class Meta:
        abstract = True


class SweepRun(models.Model):
    """When each periodic sweep last ran and what it did (shown on the operations page)."""

    name = models.CharField(_("sweep"), max_length=100, unique=True)
    last_run_at = models.DateTimeField(_("last run at"))
    last_summary = models.CharField(_("last result"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("sweep run")
        verbose_name_plural = _("sweep runs")

    def __str__(self):
        return self.name


class LoginPolicy(models.Model):
    """How many wrong passwords lock a login, and for how long (one row; django-axes reads it
    through ``core.logins``). Edited by sales-ops admins on the Locked logins page."""

    failure_limit = models.PositiveSmallIntegerField(
        _("failed attempts before a lock"),
        default=5,
        validators=[MinValueValidator(3), MaxValueValidator(100)],
        help_text=_("Wrong passwords in a row, per user and per address, that lock the login."),
    )
    cooloff_minutes = models.PositiveIntegerField(
        _("lock duration (minutes)"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(7 * 24 * 60)],
        help_text=_("A locked login opens again by itself after this long, or when unlocked."),
    )
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("login policy")
        verbose_name_plural = _("login policy")

    def __str__(self):
        return f"{self.failure_limit} × / {self.cooloff_minutes} min"


class FormSubmission(models.Model):
    """The one-time token of a page's "new" form, kept once its record was created, so a
    double-click or a re-sent POST opens that record instead of creating a second one
    (``core.forms.PageFormMixin``; quick entry and the API use ``Idempotency-Key``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    token = models.CharField(_("token"), max_length=64)
    url = models.CharField(_("created record"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now, db_index=True)

    class Meta:
        verbose_name = _("form submission")
        verbose_name_plural = _("form submissions")
        constraints = [
            models.UniqueConstraint(fields=["user", "token"], name="core_formsubmission_once")
        ]

    def __str__(self):
        return self.token


class OrgSettings(models.Model):
    """The organisation's business policy (one row; ``core.orgsettings.current()`` reads it
    through a ConfigCache): lead cap, working time, de-duplication, check-ins, reports.
    Edited by a sales-ops admin on Settings · Organisation; audited through its history."""

    default_daily_lead_cap = models.PositiveIntegerField(
        _("default daily lead cap"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text=_("Leads routing gives a rep per day unless the rep has a cap of their own."),
    )
    work_start = models.TimeField(_("working day starts"), default=dt.time(9, 0))
    work_end = models.TimeField(_("working day ends"), default=dt.time(18, 0))
    lunch_start = models.TimeField(_("lunch break starts"), null=True, blank=True)
    lunch_end = models.TimeField(_("lunch break ends"), null=True, blank=True)
    dedup_name_certain = models.PositiveSmallIntegerField(
        _("same company for certain at"),
        default=95,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("Company-name similarity (0–100) at which an inquiry is the same company."),
    )
    dedup_name_review = models.PositiveSmallIntegerField(
        _("flag for review at"),
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("Company-name similarity (0–100) at which a lead is flagged for review."),
    )
    effective_touch_seconds = models.PositiveIntegerField(
        _("effective touch (seconds)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(3600)],
        help_text=_("A tagged call at least this long counts as an effective touch."),
    )
    checkin_note_max = models.PositiveSmallIntegerField(
        _("check-in note length"),
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(200)],
        help_text=_("The most characters a check-in note may have."),
    )
    dwell_top_n = models.PositiveSmallIntegerField(
        _("dwell report rows"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("How many leads the monthly dwell list shows per group."),
    )
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("organisation settings")
        verbose_name_plural = _("organisation settings")

    def __str__(self):
        return str(_("organisation settings"))


class CalendarDay(models.Model):
    """A holiday or make-up workday the admin entered, overriding chinese-calendar (which
    only knows the years the State Council has published)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("holiday")
        WORKDAY = "workday", _("make-up workday")

    day = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    note = models.CharField(_("note"), max_length=100, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["day"]

    def __str__(self):
        return f"{self.day:%Y-%m-%d} {self.get_kind_display()}"


class ChoiceList(models.Model):
    """An enumeration an admin edits (industry, company size, …): its options are
    :class:`Choice` rows; records store the option's code (``core.choices``)."""

    key = models.SlugField(_("key"), max_length=50, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)

    class Meta:
        verbose_name = _("choice list")
        verbose_name_plural = _("choice lists")
        ordering = ["key"]

    def __str__(self):
        return self.name_en


class Choice(models.Model):
    """One option of a :class:`ChoiceList`: a stored code with zh-Hans and English labels.
    A deactivated option is no longer offered, but records keep it and show its label."""

    choice_list = models.ForeignKey(
        ChoiceList, verbose_name=_("list"), on_delete=models.CASCADE, related_name="choices"
    )
    code = models.CharField(_("code"), max_length=30)
    label_en = models.CharField(_("label (English)"), max_length=100)
    label_zh = models.CharField(_("label (Chinese)"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("choice")
        verbose_name_plural = _("choices")
        ordering = ["choice_list", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["choice_list", "code"], name="core_choice_unique_code")
        ]

    def __str__(self):
        return self.code
