"""The payout ledger, its periods and the work tables around it (SPEC I2, I4, I7).

**LedgerLine** is append-only — the model refuses update and delete and the database
refuses them too (``core.appendonly`` triggers). A deal bonus is written as *pending*
tranche lines; releasing or forfeiting one is a new line that ``settles`` it (one
settlement per tranche, a unique constraint), dated in the month it happened. Awards,
mentor rewards and adjustments are *earned* lines. A correction is an ``adjustment`` line
with a reason and an approver, in an open period. A rep's statement for a month is the
lines of that month: the earned lines add up to what is paid.

**PayoutPeriod** is one month: open, then locked by finance with the totals it approved;
a locked month takes no new line. **OpenTranche** (mutable, not the ledger) indexes the
tranches still pending so that the sweep finds what is due without reading the ledger;
**IncentiveQueue** holds contracts and accounts whose payments, complaints or renewals
changed since the last sweep. **RepFactors** keeps a rep's month inputs (customer-success
hours and points, the coefficient and its inputs) as the month-end run computed them.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from salesops.core import clock

from .plans import COEFFICIENT, HOURS, PlanVersion

MONEY = {"max_digits": 14, "decimal_places": 2}


class PeriodState(models.TextChoices):
    OPEN = "open", _("Open")
    LOCKED = "locked", _("Approved and locked")


class PayoutPeriod(models.Model):
    """A payout month (first day), approved and locked by finance."""

    month = models.DateField(_("month"), unique=True)
    state = models.CharField(
        _("state"), max_length=10, choices=PeriodState.choices, default=PeriodState.OPEN
    )
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("locked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    totals = models.JSONField(
        _("approved totals"),
        default=dict,
        blank=True,
        help_text=_("Lines, reps and amount approved."),
    )

    class Meta:
        verbose_name = _("payout period")
        verbose_name_plural = _("payout periods")
        ordering = ["-month"]

    def __str__(self):
        return self.month.strftime("%Y-%m")

    @property
    def is_locked(self) -> bool:
        return self.state == PeriodState.LOCKED


class LineKind(models.TextChoices):
    DEAL = "deal", _("Deal bonus")
    TRANCHE = "tranche", _("Deal bonus tranche")
    RELEASE = "release", _("Tranche released")
    FORFEIT = "forfeit", _("Tranche forfeited")
    MONTHLY = "monthly", _("Monthly reward")
    QUARTERLY = "quarterly", _("Quarterly reward")
    BREAKTHROUGH = "breakthrough", _("Breakthrough award")
    PROCESS_HEALTH = "process_health", _("Process-health award")
    MENTOR = "mentor", _("Mentor reward")
    MENTOR_DEDUCTION = "mentor_deduction", _("Mentor reward deducted")
    ADJUSTMENT = "adjustment", _("Adjustment")


class LineState(models.TextChoices):
    PENDING = "pending", _("Pending")
    EARNED = "earned", _("Payable")
    FORFEITED = "forfeited", _("Forfeited")


class Tranche(models.TextChoices):
    PAYMENT = "payment", _("At payment")
    QUALITY = "quality", _("After the quiet period")
    RENEWAL = "renewal", _("At renewal")


class LedgerLineQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValidationError(_("Payout ledger lines cannot be changed; add an adjustment."))

    def delete(self):
        raise ValidationError(_("Payout ledger lines cannot be deleted; add an adjustment."))


class LedgerLine(models.Model):
    """One line of the payout ledger: append-only (see the module docstring)."""

    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("rep"), on_delete=models.PROTECT, related_name="+"
    )
    period = models.DateField(_("month"))
    kind = models.CharField(_("kind"), max_length=20, choices=LineKind.choices)
    state = models.CharField(_("state"), max_length=10, choices=LineState.choices)
    tranche = models.CharField(_("tranche"), max_length=10, choices=Tranche.choices, blank=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    base = models.DecimalField(_("base"), null=True, blank=True, **MONEY)
    coefficient = models.DecimalField(_("coefficient"), null=True, blank=True, **COEFFICIENT)
    percent = models.DecimalField(
        _("share (%)"), max_digits=7, decimal_places=3, null=True, blank=True
    )
    plan_version = models.ForeignKey(
        PlanVersion,
        verbose_name=_("plan version"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    formula = models.TextField(_("formula"), blank=True)
    condition = models.CharField(_("release condition"), max_length=300, blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    explanation = models.JSONField(_("explanation"), default=dict, blank=True)
    settles = models.OneToOneField(
        "self",
        verbose_name=_("settles"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="settlement",
        help_text=_("The pending tranche this line releases or forfeits."),
    )
    source_line = models.ForeignKey(
        "self",
        verbose_name=_("refers to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="derived",
        help_text=_(
            "The mentee's line a mentor reward comes from; the line an adjustment corrects."
        ),
    )
    contract = models.ForeignKey(
        "revenue.Contract",
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    key = models.CharField(
        _("key"), max_length=120, unique=True, help_text=_("Makes every write idempotent.")
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    run = models.ForeignKey(
        "incentives.BonusRun",
        verbose_name=_("bonus run"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("written at"), default=clock.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = LedgerLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("payout ledger line")
        verbose_name_plural = _("payout ledger lines")
        ordering = ["period", "rep", "pk"]
        indexes = [
            # A statement's totals by kind and state are read from this index alone (a
            # month of a rep: hundreds of lines in a 10M-line ledger).
            models.Index(
                fields=["rep", "period", "kind", "state", "amount"], name="incentives_line_stmt"
            ),
            models.Index(fields=["period", "kind"], name="incentives_line_period"),
            models.Index(fields=["contract"], name="incentives_line_contract"),
        ]

    def __str__(self):
        return f"{self.period:%Y-%m} · {self.get_kind_display()} · {self.amount}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValidationError(_("Payout ledger lines cannot be changed; add an adjustment."))
        if PayoutPeriod.objects.filter(
            month=self.period.replace(day=1), state=PeriodState.LOCKED
        ).exists():
            raise ValidationError(
                {
                    "period": _("%(month)s is approved and locked: it takes no new line.")
                    % {"month": self.period.strftime("%Y-%m")}
                }
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Payout ledger lines cannot be deleted; add an adjustment."))


class OpenTranche(models.Model):
    """A pending tranche line not yet settled: what the sweep looks at (mutable; the row
    goes when the tranche is released or forfeited)."""

    line = models.OneToOneField(LedgerLine, on_delete=models.PROTECT, related_name="+")
    tranche = models.CharField(max_length=10, choices=Tranche.choices)
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    contract = models.ForeignKey("revenue.Contract", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey("customers.Account", on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField()
    due_on = models.DateField(null=True, blank=True)
    paid_threshold = models.DecimalField(null=True, blank=True, **MONEY)

    class Meta:
        indexes = [
            models.Index(fields=["tranche", "due_on"], name="incentives_open_due"),
            models.Index(fields=["contract"], name="incentives_open_contract"),
            models.Index(fields=["account"], name="incentives_open_account"),
        ]

    def __str__(self):
        return f"{self.tranche} · {self.line_id}"


class QueueKind(models.TextChoices):
    CONTRACT = "contract", _("Contract")
    ACCOUNT = "account", _("Account")


class IncentiveQueue(models.Model):
    """A contract (payments changed) or account (complaint or renewal changed) for the
    tranche sweep to look at."""

    kind = models.CharField(max_length=10, choices=QueueKind.choices)
    object_id = models.BigIntegerField()
    queued_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="incentives_queue_once")
        ]

    def __str__(self):
        return f"{self.kind} {self.object_id}"


class RunState(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class BonusRun(models.Model):
    """One month-end bonus run: what it wrote, for the runs page and the replay."""

    period = models.DateField(_("month"))
    state = models.CharField(
        _("state"), max_length=10, choices=RunState.choices, default=RunState.RUNNING
    )
    started_at = models.DateTimeField(_("started at"), default=clock.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("bonus run")
        verbose_name_plural = _("bonus runs")
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.period:%Y-%m} · {self.get_state_display()}"


class RepFactors(models.Model):
    """A rep's month: customer-success hours and points (I4) and the customer-health
    coefficient with its inputs (I3), as the month-end run computed them."""

    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    period = models.DateField(_("month"))
    cs_hours = models.DecimalField(_("customer-success hours"), default=0, **HOURS)
    cs_points = models.PositiveSmallIntegerField(_("customer-success points"), default=0)
    response_hours = models.DecimalField(
        _("service response (hours)"), null=True, blank=True, **HOURS
    )
    adoption = models.DecimalField(
        _("knowledge adoption"), max_digits=6, decimal_places=4, null=True, blank=True
    )
    nps_change = models.DecimalField(
        _("NPS change"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    coefficient_raw = models.DecimalField(_("formula result"), **COEFFICIENT)
    coefficient = models.DecimalField(_("coefficient"), **COEFFICIENT)
    explanation = models.JSONField(_("explanation"), default=dict, blank=True)
    computed_at = models.DateTimeField(_("computed at"), default=clock.now)

    class Meta:
        verbose_name = _("rep month factors")
        verbose_name_plural = _("rep month factors")
        constraints = [
            models.UniqueConstraint(fields=["rep", "period"], name="incentives_factors_once")
        ]

    def __str__(self):
        return f"{self.rep_id} · {self.period:%Y-%m} · {self.coefficient}"
