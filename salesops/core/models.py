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
