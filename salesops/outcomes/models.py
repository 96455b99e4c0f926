"""Outcomes since go-live (issue 21, part 1): the settings row, the weekly snapshots of
the result metrics and the days each user was seen.

The board and the diagnosis read :class:`OutcomeSnapshot` only (pages stay fast however
large the data); :func:`salesops.outcomes.services.snapshot_week` writes it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from salesops.core import clock

# Which fields make a record "complete" (issue 21: required and recommended, per entity).
# An admin edits the lists on Settings · Outcomes; they are checked against the real
# model fields and the custom fields (``custom.<key>``) before anything is saved.
DEFAULT_COMPLETENESS = {
    "lead": {
        "required": ["contact_name", "phone", "company", "need"],
        "recommended": ["email", "wechat", "industry", "size_band", "province", "city"],
    },
    "account": {
        "required": ["name", "industry", "province"],
        "recommended": ["size_band", "city", "address", "credit_code"],
    },
    "contact": {
        "required": ["name", "phone"],
        "recommended": ["title", "email", "wechat"],
    },
}

# Values that fill a field without saying anything (the seeds' over-collection warning):
# compared after trimming and lower-casing.
DEFAULT_PLACEHOLDERS = [
    "无",
    "没有",
    "暂无",
    "不详",
    "未知",
    "-",
    "--",
    "—",
    "/",
    ".",
    "1",
    "0",
    "11",
    "111",
    "n/a",
    "na",
    "none",
    "null",
    "xx",
    "xxx",
    "test",
    "测试",
    "?",
    "？",
]


def default_completeness():
    return {entity: dict(lists) for entity, lists in DEFAULT_COMPLETENESS.items()}


def default_placeholders():
    return list(DEFAULT_PLACEHOLDERS)


class OutcomePolicy(models.Model):
    """The one row of Settings · Outcomes (defaults until an admin saves it): the go-live
    date the board measures from, the completeness field lists, the placeholder list and
    the few numbers the metrics' definitions use."""

    go_live_on = models.DateField(
        _("go-live date"),
        null=True,
        blank=True,
        help_text=_("The day SalesOps went live; the board's trends start here."),
    )
    completeness_fields = models.JSONField(
        _("completeness fields"), default=default_completeness, blank=True
    )
    placeholders = models.JSONField(_("placeholder values"), default=default_placeholders)
    untouched_hours = models.PositiveSmallIntegerField(
        _("untouched after (hours)"),
        default=48,
        help_text=_("A lead with no first contact this long after intake counts as untouched."),
    )
    active_account_days = models.PositiveSmallIntegerField(
        _("active account window (days)"),
        default=90,
        help_text=_("An account with an activity in this many days counts as active."),
    )
    forecast_weeks = models.PositiveSmallIntegerField(
        _("forecast weeks before the month's end"),
        default=4,
        help_text=_(
            "Forecast accuracy compares a month's wins with the forecast this many weeks before its end."
        ),
    )
    copy_min_repeats = models.PositiveSmallIntegerField(
        _("copied value after (records)"),
        default=5,
        help_text=_(
            "The same free-text value in at least this many of one rep's records counts as copied."
        ),
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
        verbose_name = _("outcome settings")
        verbose_name_plural = _("outcome settings")

    def __str__(self):
        return str(_("Outcome settings"))

    @classmethod
    def current(cls) -> OutcomePolicy:
        """The saved row, or the defaults (unsaved) before an admin saves the page."""
        return cls.objects.order_by("pk").first() or cls()


class ScopeKind(models.TextChoices):
    ORG = "org", _("Organisation")
    TEAM = "team", _("Team")
    REP = "rep", _("Rep")


class OutcomeSnapshot(models.Model):
    """One metric's value for one week and one scope (the organisation, a team subtree or
    a rep), with the numerator and denominator it came from (P4: explainable). Written
    again (replaced) when the week is recomputed; unique per week, metric and scope."""

    week_start = models.DateField(_("week starting"))
    metric = models.CharField(_("metric"), max_length=40)
    scope_kind = models.CharField(_("scope"), max_length=8, choices=ScopeKind.choices)
    # 0 for the organisation; the team's or the user's id otherwise.
    scope_id = models.PositiveIntegerField(_("scope id"), default=0)
    value = models.FloatField(_("value"), null=True, blank=True)
    numerator = models.FloatField(_("numerator"), null=True, blank=True)
    denominator = models.FloatField(_("denominator"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    computed_at = models.DateTimeField(_("computed at"), default=clock.now)

    class Meta:
        verbose_name = _("outcome snapshot")
        verbose_name_plural = _("outcome snapshots")
        ordering = ["week_start", "metric", "scope_kind", "scope_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["week_start", "metric", "scope_kind", "scope_id"],
                name="outcomes_snapshot_unique",
            )
        ]
        indexes = [
            # A scope's trend of one metric (the board's lines) and the latest value.
            models.Index(
                fields=["scope_kind", "scope_id", "metric", "week_start"],
                name="outcomes_snapshot_scope",
            ),
        ]

    def __str__(self):
        return f"{self.week_start} {self.metric} {self.scope_kind}:{self.scope_id}"


class SeenDay(models.Model):
    """A day a user used SalesOps (a page or an API call): the daily and weekly active
    users. Nothing else in the system records use of it by people who log no activity;
    written at most once per user and day by :class:`salesops.outcomes.middleware.SeenMiddleware`."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day"))

    class Meta:
        verbose_name = _("day seen")
        verbose_name_plural = _("days seen")
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="outcomes_seen_unique")]
        indexes = [models.Index(fields=["day", "user"], name="outcomes_seen_day")]

    def __str__(self):
        return f"{self.user_id} {self.day}"


class BackfillState(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("backfill", "Queued")
    RUNNING = "running", pgettext_lazy("backfill", "Running")
    DONE = "done", pgettext_lazy("backfill", "Done")
    FAILED = "failed", pgettext_lazy("backfill", "Failed")


class BackfillRun(models.Model):
    """One backfill of the weekly snapshots, started from Settings · Outcomes: its progress
    while the worker computes the weeks, then what it wrote (weeks, rows, seconds) or why it
    failed. ``active`` is true while queued or running; one active run at a time (the
    constraint, so two clicks at once cannot both start one)."""

    state = models.CharField(
        _("state"), max_length=10, choices=BackfillState.choices, default=BackfillState.QUEUED
    )
    active = models.BooleanField(_("active"), default=True, editable=False)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    weeks = models.PositiveIntegerField(_("weeks"), default=0)
    rows = models.PositiveIntegerField(_("rows written"), default=0)
    seconds = models.FloatField(_("seconds"), default=0)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("started at"), default=clock.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outcome backfill")
        verbose_name_plural = _("outcome backfills")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["active"],
                condition=models.Q(active=True),
                name="outcomes_one_active_backfill",
            )
        ]

    def __str__(self):
        return f"backfill {self.created_at:%Y-%m-%d %H:%M} ({self.state})"
