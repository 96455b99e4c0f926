"""What the read model stores: each account's lifetime value with its explanation, the
LTV formula's versions, and the queue of accounts whose value is due for a recompute.

``LtvFormula`` and ``AccountValue`` moved here from ``revenue`` without moving their
data: they keep their tables (``revenue_ltvformula``, ``revenue_accountvalue``), and the
migrations that moved them changed Django's state only.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from salesops.core.visibility import OwnedQuerySet

from .formulas import formula_problems

MONEY = {"max_digits": 14, "decimal_places": 2}


class LtvFormula(models.Model):
    """A version of the formula that projects an account's future value (SPEC C4).

    Versions are never changed once saved: an admin adds a new one and the newest is the
    one in force, so every stored :class:`AccountValue` still names the exact source it
    was computed with. Evaluated by ``salesops.core.expressions`` (never ``eval``) against
    the inputs listed in ``salesops.reports.formulas.INPUTS``."""

    version = models.PositiveIntegerField(_("version"), unique=True, editable=False)
    source = models.TextField(
        _("formula"),
        max_length=2000,
        help_text=_(
            "For example “outstanding + pending_renewals * coalesce(nps_average, 7) / 10”."
        ),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), editable=False)
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
        db_table = "revenue_ltvformula"
        verbose_name = _("LTV formula")
        verbose_name_plural = _("LTV formulas")
        ordering = ["-version"]

    def __str__(self):
        return f"v{self.version}"

    def clean(self):
        problems = formula_problems(self.source)
        if problems:
            raise ValidationError({"source": problems})


class AccountValueQuerySet(OwnedQuerySet):
    owner_path = "account__owner"


class AccountValue(models.Model):
    """An account's lifetime value as last computed, stored with everything it was
    computed from so it can be explained: the inputs the formula saw, the formula's
    source and version, the projection it gave and the total (realised + projected).
    Rewritten by ``ltv.ltv_recompute``; never typed in."""

    account = models.OneToOneField(
        "customers.Account", verbose_name=_("account"), on_delete=models.CASCADE, related_name="ltv"
    )
    realised = models.DecimalField(_("realised revenue"), **MONEY)
    projected = models.DecimalField(_("projected value"), **MONEY)
    total = models.DecimalField(_("lifetime value"), **MONEY)
    inputs = models.JSONField(_("inputs"), default=dict)
    formula_source = models.TextField(_("formula"))
    formula_version = models.PositiveIntegerField(_("formula version"))
    error = models.CharField(
        _("formula error"),
        max_length=500,
        blank=True,
        help_text=_("Why the formula could not be evaluated (the projection is then 0)."),
    )
    computed_at = models.DateTimeField(_("computed at"))

    objects = AccountValueQuerySet.as_manager()

    class Meta:
        db_table = "revenue_accountvalue"
        verbose_name = _("account lifetime value")
        verbose_name_plural = _("account lifetime values")
        ordering = ["-total", "account_id"]

    def __str__(self):
        return f"{self.account_id}: {self.total}"


class LtvQueue(models.Model):
    """An account whose lifetime value is due for a recompute, queued by the events of
    the records it is computed from and removed by the sweep that recomputes it.

    One row per account, whatever the number of events. ``token`` changes each time the
    account is queued again, so the sweep removes a row only if nobody queued the account
    after the sweep read it. No foreign key: queueing must not fail or lock because the
    account is being deleted (a deleted account is simply skipped)."""

    account_id = models.BigIntegerField(_("account"), primary_key=True)
    token = models.CharField(_("token"), max_length=32)
    queued_at = models.DateTimeField(_("queued at"))

    class Meta:
        verbose_name = _("account queued for an LTV recompute")
        verbose_name_plural = _("accounts queued for an LTV recompute")
        ordering = ["queued_at"]

    def __str__(self):
        return str(self.account_id)


class ForecastSnapshotQuerySet(OwnedQuerySet):
    owner_path = "owner"


class ForecastSnapshot(models.Model):
    """What one rep's open deals forecast for one close month, as taken on one day (every
    Monday by the ``reports.forecast_snapshot`` sweep, or ``salesops forecast_snapshot``).

    Kept so forecast accuracy can be measured once the month has closed: the won amount
    against what the pipeline said N weeks before. ``team`` is the owner's team on the
    day, so a later move between teams does not rewrite history. Figures as in
    ``reports.pipeline_forecast`` (omitted deals left out of the totals)."""

    taken_on = models.DateField(_("taken on"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rep"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    team = models.ForeignKey(
        "org.Team",
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    period_start = models.DateField(_("close month"))
    deals = models.PositiveIntegerField(_("deals"), default=0)
    amount = models.DecimalField(_("amount"), **MONEY)
    weighted = models.DecimalField(_("weighted"), **MONEY)
    commit = models.DecimalField(_("commit"), **MONEY)
    best_case = models.DecimalField(_("best case (incl. commit)"), **MONEY)
    pipeline = models.DecimalField(_("pipeline"), **MONEY)

    objects = ForecastSnapshotQuerySet.as_manager()

    class Meta:
        verbose_name = _("forecast snapshot")
        verbose_name_plural = _("forecast snapshots")
        ordering = ["-taken_on", "period_start", "owner_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["taken_on", "owner", "period_start"], name="forecast_snapshot_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["period_start", "taken_on"], name="forecast_snapshot_period"),
        ]

    def __str__(self):
        return f"{self.taken_on} {self.owner_id} {self.period_start:%Y-%m}"
