"""Activities and the 30-second check-in (SPEC A1–A3).

An activity is one call, visit, WeChat conversation, email or meeting, linked to a lead,
an account or a contact. Finishing it needs exactly one result tag from a configurable
set and allows a short note (20 characters unless Settings · Organisation says otherwise). An *effective touch* is an activity whose
tag means the person was reached (``counts_as_contact``; 无人接听 never counts) and that
lasted at least :func:`effective_seconds` of interaction (30 by default, Settings · Organisation); it is stored so reports can
count it. ``duration_source`` keeps a duration the call timer measured apart from one a
person typed in (A3).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from salesops.core import clock, orgsettings
from salesops.core.models import BaseModel
from salesops.core.visibility import OwnedQuerySet
from salesops.customization.models import CustomFieldsModel

# The column's bound; the note length in force is core.orgsettings' checkin_note_max (≤ this).
NOTE_COLUMN = 200


def effective_seconds() -> int:
    """How many seconds of interaction make an effective touch (Settings · Organisation,
    30 by default). Every reader goes through this one function."""
    return orgsettings.current().effective_touch_seconds


class DurationSource(models.TextChoices):
    TIMER = "timer", _("Measured by the call timer")
    TYPED = "typed", _("Typed in")
    NONE = "none", _("Not recorded")


class ActivityKind(models.TextChoices):
    CALL = "call", _("Call")
    VISIT = "visit", _("Visit")
    WECHAT = "wechat", _("WeChat")
    EMAIL = "email", pgettext_lazy("activity", "Email")
    MEETING = "meeting", _("Meeting")


class ResultTag(BaseModel):
    """One of the check-in results a rep picks from (已预约演示, 无人接听 …)."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    label_zh = models.CharField(_("label (Chinese)"), max_length=50)
    label_en = models.CharField(_("label (English)"), max_length=50)
    order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    counts_as_contact = models.BooleanField(
        _("counts as a contact"),
        default=True,
        help_text=_("Whether this result means the person was reached (stops the SLA clock)."),
    )

    class Meta:
        verbose_name = _("result tag")
        verbose_name_plural = _("result tags")
        ordering = ["order", "id"]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        from django.utils.translation import get_language

        language = (get_language() or "zh-hans").lower()
        return self.label_zh if language.startswith("zh") else self.label_en


class ActivityQuerySet(OwnedQuerySet):
    owner_path = "owner"


class Activity(BaseModel, CustomFieldsModel):
    kind = models.CharField(_("type"), max_length=20, choices=ActivityKind.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="activities",
    )
    lead = models.ForeignKey(
        "leads.Lead",
        verbose_name=_("lead"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="activities",
    )
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="activities",
    )
    deal = models.ForeignKey(
        "pipeline.Deal",
        verbose_name=_("deal"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
    )
    started_at = models.DateTimeField(_("started at"), default=clock.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), default=0)
    duration_source = models.CharField(
        _("duration source"),
        max_length=10,
        choices=DurationSource.choices,
        default=DurationSource.NONE,
        help_text=_("Whether the call timer measured the duration or a person typed it in."),
    )
    tag = models.ForeignKey(
        ResultTag,
        verbose_name=_("result"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
    )
    note = models.CharField(_("note"), max_length=NOTE_COLUMN, blank=True)
    effective = models.BooleanField(_("effective touch"), default=False, editable=False)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-started_at"], name="act_owner_started"),
            models.Index(fields=["lead", "started_at"], name="act_lead_started"),
            models.Index(fields=["account", "started_at"], name="act_account_started"),
            models.Index(fields=["effective", "started_at"], name="act_effective_started"),
            # The list's totals (all, effective) from the index alone: views.activity_list.
            models.Index(fields=["owner", "effective"], name="act_owner_effective"),
            # Everyone's list, latest first (directors, admins): the first page from
            # the index instead of sorting all activities.
            models.Index(fields=["-started_at", "-id"], name="act_started"),
            # A rep's unfinished check-ins (home page, list banner): a few rows, not the
            # rep's whole history through the owner index.
            models.Index(
                fields=["owner", "-started_at"],
                condition=models.Q(tag__isnull=True),
                name="act_unfinished",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.started_at:%Y-%m-%d %H:%M}"

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # The rollup's bucket as loaded: a later save moves the count from it (rollup.py).
        instance._rollup_loaded = (
            instance.__dict__.get("owner_id"),
            instance.__dict__.get("started_at"),
            instance.__dict__.get("effective"),
        )
        return instance

    def get_absolute_url(self):
        return reverse("activities:activity_detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.tag_id is not None

    @property
    def duration_typed(self) -> bool:
        return self.duration_source == DurationSource.TYPED

    @property
    def duration_display(self) -> str:
        """``m:ss``, the way a phone shows a call's length."""
        minutes, seconds = divmod(self.duration_seconds or 0, 60)
        return f"{minutes}:{seconds:02d}"


class ActivityRollup(models.Model):
    """Activities and effective touches per rep per local day and hour (SPEC A4).

    Kept equal to a recount of the raw activities by ``rollup.py`` as activities are
    logged, checked in, moved or deleted, so the morning heatmap, the home pages and the
    team board read a few hundred rows instead of a team's millions of activities.
    ``day`` and ``hour`` are in the organisation's time zone; the bucket is the
    activity's ``started_at``."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    day = models.DateField(_("day"))
    hour = models.PositiveSmallIntegerField(_("hour"))
    activities = models.PositiveIntegerField(_("activities"), default=0)
    effective = models.PositiveIntegerField(_("effective touches"), default=0)

    objects = OwnedQuerySet.as_manager()  # visible as the activities are: by owner

    class Meta:
        verbose_name = _("activity rollup")
        verbose_name_plural = _("activity rollups")
        constraints = [
            models.UniqueConstraint(fields=["owner", "day", "hour"], name="actroll_owner_day_hour")
        ]
        indexes = [models.Index(fields=["day", "owner"], name="actroll_day_owner")]

    def __str__(self):
        return f"{self.owner_id} {self.day} {self.hour:02d}h"


# The longest text a daily report's field may hold (characters). The column is a TextField:
# the limit in force is this one, checked by activities.daily_reports with a clear message.
DAILY_REPORT_TEXT_MAX = 1000


class DailyReportQuerySet(OwnedQuerySet):
    owner_path = "owner"


class DailyReport(BaseModel):
    """A rep's structured daily report (日报, SPEC A7): what was done (prefilled from the
    day's activities and stage changes), plans, help needed and forecast changes, one per
    rep and local day.

    ``snapshot`` freezes the day's figures at submission (activities by kind, effective
    touches, stage changes, deals won and lost with their amounts), so a weekly report
    read later can say what the rep saw when writing; the weekly totals themselves are
    counted from the data (reports.weekly)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="daily_reports",
        db_index=False,
    )
    day = models.DateField(_("report day"))
    done = models.TextField(_("what was done"))
    plans = models.TextField(_("plans"))
    help_needed = models.TextField(_("help needed"), blank=True)
    forecast_changes = models.TextField(_("forecast changes"), blank=True)
    snapshot = models.JSONField(_("figures of the day"), default=dict, blank=True, editable=False)
    submitted_at = models.DateTimeField(_("submitted at"), default=clock.now, editable=False)

    history = HistoricalRecords(no_db_index=["created_by", "owner"])

    objects = DailyReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("daily report")
        verbose_name_plural = _("daily reports")
        ordering = ["-day", "owner_id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "day"], name="dailyreport_owner_day")
        ]
        indexes = [models.Index(fields=["day", "owner"], name="dailyreport_day_owner")]

    def __str__(self):
        return f"{self.owner_id} {self.day}"

    def get_absolute_url(self):
        return reverse("activities:daily_report_detail", args=[self.pk])
