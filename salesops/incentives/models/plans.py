"""Bonus plans and the incentive settings (SPEC I1, I3, I4, I5; P2: plans are data).

A **plan** belongs to a role, organisation-wide or for a team subtree (the deepest one
applies, as for KPI schemes). Saving it makes an immutable **version** with an effective
date; each version holds its **components** — one formula each in the expression language
(``core.expressions``) over the variables its kind offers (``formulas.VARIABLES``):

* ``deal``: a signed contract's bonus, split into deferred tranches (I2) when
  ``deferred``;
* ``monthly`` / ``quarterly``: the small and large periodic rewards from KPI scores and
  target attainment (I1);
* ``breakthrough``: the special award for the first contract with a hard account (I1);
* ``process_health``: the rep's share of the team's T5 award (+15 % of the pool).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesops.core import clock
from salesops.core.models import BaseModel
from salesops.org.models import Role

PERCENT = {"max_digits": 5, "decimal_places": 2}
COEFFICIENT = {"max_digits": 6, "decimal_places": 3}
HOURS = {"max_digits": 8, "decimal_places": 2}

DEFAULT_COEFFICIENT_FORMULA = (
    "1 + 0.15 * (1 - response_hours / response_target) + 0.2 * (adoption - 0.5) + nps_change / 100"
)


class PaymentRelease(models.TextChoices):
    INSTALMENT = "instalment", _("Per instalment, as each is paid")
    FULL = "full", _("When the contract is paid in full")


def default_breakthrough_levels() -> list[str]:
    return ["A"]


class IncentivePolicy(models.Model):
    """The incentive module's organisation-wide numbers (one row), edited on Settings ·
    Incentives (P2). Every default is the seeds' number."""

    # I2 deferred release
    payment_percent = models.DecimalField(
        _("tranche at payment (%)"), default=Decimal("50"), **PERCENT
    )
    quality_percent = models.DecimalField(
        _("tranche after the quiet period (%)"), default=Decimal("30"), **PERCENT
    )
    renewal_percent = models.DecimalField(
        _("tranche at renewal (%)"), default=Decimal("20"), **PERCENT
    )
    payment_release = models.CharField(
        _("payment tranche released"),
        max_length=12,
        choices=PaymentRelease.choices,
        default=PaymentRelease.INSTALMENT,
    )
    quality_months = models.PositiveSmallIntegerField(
        _("quiet period (months without a major complaint)"),
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    renewal_months = models.PositiveSmallIntegerField(
        _("renewal after (months)"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
    )
    renewal_grace_days = models.PositiveSmallIntegerField(
        _("renewal grace (days)"),
        default=60,
        validators=[MaxValueValidator(366)],
        help_text=_("How long after the renewal date a won renewal still releases the tranche."),
    )
    # I3 customer-health coefficient
    coefficient_min = models.DecimalField(
        _("coefficient at least"), default=Decimal("0.7"), **COEFFICIENT
    )
    coefficient_max = models.DecimalField(
        _("coefficient at most"), default=Decimal("1.3"), **COEFFICIENT
    )
    coefficient_formula = models.TextField(
        _("coefficient formula"),
        max_length=1000,
        default=DEFAULT_COEFFICIENT_FORMULA,
        help_text=_(
            "Over response_hours, response_target, adoption (0–1) and nps_change (points)."
        ),
    )
    response_target_hours = models.DecimalField(
        _("service response target (hours)"), default=Decimal("4"), **HOURS
    )
    # I4 customer-success collaboration
    cs_hours_per_point = models.DecimalField(
        _("customer-success hours per point"), default=Decimal("2"), **HOURS
    )
    cs_max_points = models.PositiveSmallIntegerField(_("points at most per month"), default=10)
    cs_cap_below = models.PositiveSmallIntegerField(
        _("fewer points than this cap the coefficient"), default=6
    )
    cs_cap = models.DecimalField(_("capped coefficient"), default=Decimal("0.9"), **COEFFICIENT)
    # I5 mentor reward
    mentor_first_percent = models.DecimalField(
        _("mentor's share of the first deal (%)"), default=Decimal("15"), **PERCENT
    )
    mentor_next_percent = models.DecimalField(
        _("mentor's share of the next deals (%)"), default=Decimal("5"), **PERCENT
    )
    mentor_next_count = models.PositiveSmallIntegerField(_("next deals rewarded"), default=3)
    mentor_deducts = models.BooleanField(
        _("deduct the mentor's reward from the mentee"), default=False
    )
    # I1 breakthrough award
    breakthrough_levels = models.JSONField(
        _("hard account levels"),
        default=default_breakthrough_levels,
        blank=True,
        help_text=_(
            "The first contract with an account of these levels earns the breakthrough award."
        ),
    )
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("incentive settings")
        verbose_name_plural = _("incentive settings")

    def __str__(self):
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> IncentivePolicy:
        policy = cls.objects.order_by("pk").first()
        return policy or cls.objects.create()

    def tranche_percents(self) -> dict[str, Decimal]:
        return {
            "payment": self.payment_percent,
            "quality": self.quality_percent,
            "renewal": self.renewal_percent,
        }


class BonusPlan(BaseModel):
    """A role's bonus plan, organisation-wide or for a team subtree."""

    name = models.CharField(_("name"), max_length=100)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.REP)
    team = models.ForeignKey(
        "org.Team",
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: the whole organisation; otherwise this team and the teams below it."),
    )
    description = models.CharField(_("description"), max_length=500, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("bonus plan")
        verbose_name_plural = _("bonus plans")
        ordering = ["role", "name", "pk"]

    def __str__(self):
        return self.name


class ImmutableMixin:
    """Rows written once: the model refuses to change or delete them."""

    immutable_message = _("This record cannot be changed once saved.")

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValidationError(self.immutable_message)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(self.immutable_message)


class PlanVersion(ImmutableMixin, models.Model):
    """One saved state of a plan: immutable; a change is a new version (P2)."""

    immutable_message = _("A saved plan version cannot be changed; save a new one.")

    plan = models.ForeignKey(BonusPlan, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    effective_on = models.DateField(_("effective from"))
    note = models.CharField(_("what changed"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("saved at"), default=clock.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("saved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("bonus plan version")
        verbose_name_plural = _("bonus plan versions")
        ordering = ["plan", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="incentives_version_number")
        ]

    def __str__(self):
        return f"{self.plan} v{self.number}"


class ComponentKind(models.TextChoices):
    DEAL = "deal", _("Deal bonus (per signed contract)")
    MONTHLY = "monthly", _("Monthly reward")
    QUARTERLY = "quarterly", _("Quarterly reward")
    BREAKTHROUGH = "breakthrough", _("Breakthrough award (hard account)")
    PROCESS_HEALTH = "process_health", _("Process-health award (T5)")


class PlanComponent(ImmutableMixin, models.Model):
    """One formula of a plan version."""

    immutable_message = _("A saved plan version cannot be changed; save a new one.")

    version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="components")
    kind = models.CharField(_("kind"), max_length=20, choices=ComponentKind.choices)
    label = models.CharField(_("label"), max_length=100)
    formula = models.TextField(_("formula"), max_length=1000)
    deferred = models.BooleanField(
        _("release in tranches"),
        default=True,
        help_text=_("Deal bonus only: paid in the payment / quiet-period / renewal tranches."),
    )
    apply_coefficient = models.BooleanField(
        _("multiply by the customer-health coefficient"), default=True
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("plan component")
        verbose_name_plural = _("plan components")
        ordering = ["version", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["version", "kind"], name="incentives_component_kind")
        ]

    def __str__(self):
        return f"{self.label}: {self.formula}"


class MentorPair(BaseModel):
    """A mentor and the mentee they coach, with dates (I5)."""

    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("mentor"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    mentee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("mentee"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("mentor pair")
        verbose_name_plural = _("mentor pairs")
        ordering = ["-starts_on", "pk"]

    def __str__(self):
        return f"{self.mentor} → {self.mentee}"

    def clean(self):
        errors = {}
        if self.mentor_id and self.mentor_id == self.mentee_id:
            errors["mentee"] = _("A mentor cannot mentor themselves.")
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            errors["ends_on"] = _("The end date is before the start date.")
        if errors:
            raise ValidationError(errors)
