"""Targets (SPEC T1–T6): a plan per fiscal year, calibrated from three sources, chosen
among scenarios by a team vote and the director, split to reps by the capability-resource
matrix, published (then changed only by approved adjustments), watched by monthly health
snapshots that can earn the process-health award, and questioned by an anonymous survey.

Money is Decimal (two places) end to end. Every computed figure is stored with the inputs
and formula it came from (P4): a calibration keeps its sources and formula, a scenario its
factor values, an allocation its matrix point, quadrant, weight and share, a snapshot its
target, achievement and pipeline.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesops.core import clock
from salesops.core.models import BaseModel, TimeStampedModel

MONEY = {"max_digits": 16, "decimal_places": 2}
ZERO = Decimal("0.00")


class Measure(models.TextChoices):
    PAYMENTS = "payments", _("Payments received (回款)")
    CONTRACTS = "contracts", _("Signed contract amount")


class PlanState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    CALIBRATED = "calibrated", _("Calibrated")
    SCENARIO_CHOSEN = "scenario_chosen", _("Scenario chosen")
    DECOMPOSED = "decomposed", _("Decomposed")
    PUBLISHED = "published", _("Published")


# The order a plan moves through; a step may be redone while the plan is not published
# (recalibrating moves it back to "calibrated", which clears the later steps' results).
STATE_ORDER = [s.value for s in PlanState]


class Quadrant(models.TextChoices):
    """The capability-resource matrix (T3): x = median won deal size, y = key-account win
    rate, split at the team medians. Labels and share weights are data
    (:class:`TargetPolicy`); these codes only name the four corners."""

    HIGH_SIZE_HIGH_WIN = "high_high", _("High deal size · high win rate")
    LOW_SIZE_HIGH_WIN = "low_high", _("Low deal size · high win rate")
    HIGH_SIZE_LOW_WIN = "high_low", _("High deal size · low win rate")
    LOW_SIZE_LOW_WIN = "low_low", _("Low deal size · low win rate")


def default_quadrants() -> dict:
    """Labels (zh-Hans, English) and share weights per quadrant; the seeds name two."""
    return {
        Quadrant.HIGH_SIZE_HIGH_WIN: {
            "label_zh": "快速变现主力",
            "label_en": "Fast converters",
            "weight": "1.30",
        },
        Quadrant.LOW_SIZE_HIGH_WIN: {
            "label_zh": "重点托举对象",
            "label_en": "Key support",
            "weight": "1.00",
        },
        Quadrant.HIGH_SIZE_LOW_WIN: {
            "label_zh": "大单攻坚",
            "label_en": "Big-deal hunters",
            "weight": "1.10",
        },
        Quadrant.LOW_SIZE_LOW_WIN: {
            "label_zh": "潜力培养",
            "label_en": "Growing",
            "weight": "0.70",
        },
    }


def default_seasonal_index() -> list:
    """Twelve monthly indices (1.00 = an ordinary month) in fiscal month order."""
    return ["1.00"] * 12


DEFAULT_POOL_FORMULA = "0.5 * historical + 0.3 * market + 0.2 * manpower"


class TargetPolicy(models.Model):
    """The targets module's numbers (one row), edited on Settings · Targets (P2)."""

    fiscal_year_start_month = models.PositiveSmallIntegerField(
        _("fiscal year starts in month"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    default_measure = models.CharField(
        _("default measure"), max_length=20, choices=Measure.choices, default=Measure.PAYMENTS
    )
    pool_formula = models.CharField(
        _("initial pool formula"),
        max_length=500,
        default=DEFAULT_POOL_FORMULA,
        help_text=_("Over historical, market and manpower; new plans start from it."),
    )
    manpower_top_n = models.PositiveSmallIntegerField(
        _("top reps for capacity"), default=3, validators=[MinValueValidator(1)]
    )
    manpower_utilisation = models.DecimalField(
        _("capacity utilisation"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("0.70"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("2"))],
        help_text=_("The share of the top reps' monthly result an average rep reaches."),
    )
    key_account_levels = models.CharField(
        _("key-account levels"),
        max_length=100,
        default="A",
        help_text=_("Comma-separated account levels that count as key accounts (T3)."),
    )
    matrix_months = models.PositiveSmallIntegerField(
        _("months of won deals for the matrix"), default=6, validators=[MinValueValidator(1)]
    )
    quadrants = models.JSONField(_("quadrants"), default=default_quadrants)
    default_quadrant = models.CharField(
        _("quadrant of reps without history"),
        max_length=20,
        choices=Quadrant.choices,
        default=Quadrant.LOW_SIZE_LOW_WIN,
    )
    coverage_red = models.DecimalField(
        _("coverage red below"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("1.80"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    coverage_amber = models.DecimalField(
        _("coverage amber below"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("2.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Between the red line and this one the coverage shows amber."),
    )
    snapshot_workday = models.PositiveSmallIntegerField(
        _("monthly snapshot on working day"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(23)],
    )
    award_coverage = models.DecimalField(
        _("award: coverage above"), max_digits=5, decimal_places=2, default=Decimal("2.00")
    )
    award_months = models.PositiveSmallIntegerField(
        _("award: consecutive months"), default=2, validators=[MinValueValidator(1)]
    )
    award_floor = models.DecimalField(
        _("award: never below in the quarter"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("1.50"),
    )
    award_percent = models.DecimalField(
        _("award: share of the team's target bonus pool (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("15.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    peers_see_targets = models.BooleanField(
        _("reps see their peers' targets"),
        default=False,
        help_text=_("Off: a rep sees only their own target and the team total."),
    )
    survey_min_group = models.PositiveSmallIntegerField(
        _("smallest survey group shown"), default=3, validators=[MinValueValidator(3)]
    )
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("target settings")
        verbose_name_plural = _("target settings")

    def __str__(self):
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> TargetPolicy:
        policy = cls.objects.order_by("pk").first()
        return policy or cls.objects.create()


class TargetPlan(BaseModel):
    """The target of one fiscal year for a team's subtree (the organisation when ``team``
    is its root), optionally of one product line. ``version`` is the allocation version
    in force once published; achievement always reads it."""

    name = models.CharField(_("name"), max_length=200)
    fiscal_year = models.PositiveSmallIntegerField(
        _("fiscal year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    team = models.ForeignKey(
        "org.Team", verbose_name=_("team"), on_delete=models.PROTECT, related_name="target_plans"
    )
    product_line = models.CharField(
        _("product line"), max_length=30, blank=True, help_text=_("Empty: all product lines.")
    )
    measure = models.CharField(
        _("measure"), max_length=20, choices=Measure.choices, default=Measure.PAYMENTS
    )
    state = models.CharField(
        _("state"), max_length=20, choices=PlanState.choices, default=PlanState.DRAFT
    )
    # The calibrated pool, then the chosen scenario's result (the baseline split to reps).
    pool = models.DecimalField(_("target pool"), **MONEY, default=ZERO)
    baseline = models.ForeignKey(
        "Scenario",
        verbose_name=_("chosen scenario"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    baseline_amount = models.DecimalField(_("baseline"), **MONEY, null=True, blank=True)
    vote_open = models.BooleanField(_("vote open"), default=True)
    vote_closes_at = models.DateTimeField(_("vote closes at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version in force"), default=1)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("target plan")
        verbose_name_plural = _("target plans")
        ordering = ["-fiscal_year", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["fiscal_year", "team", "product_line"],
                name="targets_plan_unique_year_team_line",
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("targets:plan_detail", args=[self.pk])

    @property
    def is_locked(self) -> bool:
        return self.state == PlanState.PUBLISHED


class Calibration(TimeStampedModel):
    """Three-source calibration (T1) of a plan: each source's number with its inputs, the
    pool formula and its result. Recomputed on demand; the inputs an admin typed stay."""

    plan = models.OneToOneField(TargetPlan, on_delete=models.CASCADE, related_name="calibration")
    # Historical: the last 12 months of the measure before the fiscal year, month by month.
    history_months = models.JSONField(_("historical months"), default=list, blank=True)
    historical = models.DecimalField(_("historical source"), **MONEY, default=ZERO)
    # Market: the admin's indices and notes; market = Σ month × seasonal × bidding.
    seasonal_index = models.JSONField(_("seasonal index"), default=default_seasonal_index)
    bidding_index = models.DecimalField(
        _("bidding index"),
        max_digits=6,
        decimal_places=3,
        default=Decimal("1.000"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    competitor_notes = models.TextField(_("competitor notes"), blank=True, max_length=5000)
    market = models.DecimalField(_("market source"), **MONEY, default=ZERO)
    # Manpower: top-N reps' mean monthly result × headcount × 12 × utilisation.
    top_n = models.PositiveSmallIntegerField(_("top reps"), default=3)
    top_monthly = models.DecimalField(_("top reps' mean monthly result"), **MONEY, default=ZERO)
    headcount = models.PositiveIntegerField(_("headcount"), default=0)
    utilisation = models.DecimalField(
        _("utilisation"), max_digits=4, decimal_places=2, default=Decimal("0.70")
    )
    manpower = models.DecimalField(_("manpower source"), **MONEY, default=ZERO)
    formula = models.CharField(_("pool formula"), max_length=500, default=DEFAULT_POOL_FORMULA)
    pool = models.DecimalField(_("initial pool"), **MONEY, default=ZERO)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("calibration")
        verbose_name_plural = _("calibrations")

    def __str__(self):
        return f"{self.plan} · {self._meta.verbose_name}"


class Scenario(TimeStampedModel):
    """One scenario of a plan's sandbox (T2): a formula over the dynamic factors
    (``pool``, ``pipeline``, ``win_rate``, ``cycle_days``, ``chain_maturity``), its
    factor values at the last computation and its result."""

    plan = models.ForeignKey(TargetPlan, on_delete=models.CASCADE, related_name="scenarios")
    code = models.SlugField(_("code"), max_length=30)
    name_zh = models.CharField(_("name (zh-Hans)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    formula = models.CharField(_("formula"), max_length=500)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    factors = models.JSONField(_("factor values"), default=dict, blank=True)
    result = models.DecimalField(_("result"), **MONEY, null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("scenario")
        verbose_name_plural = _("scenarios")
        ordering = ["plan", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="targets_scenario_unique_code")
        ]

    def __str__(self):
        return self.name_zh or self.name_en


class Vote(TimeStampedModel):
    """One team member's vote on a plan's scenarios; changeable until the vote closes."""

    plan = models.ForeignKey(TargetPlan, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="target_votes"
    )
    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="votes")

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [
            models.UniqueConstraint(fields=["plan", "voter"], name="targets_vote_one_per_member")
        ]


class Allocation(TimeStampedModel):
    """A rep's part of a plan in one version (T3): the matrix point it was placed by, the
    quadrant, the weight and share, the amount (largest remainder, so a version's parts add
    up to its pool exactly) and the amount per month of the fiscal year."""

    plan = models.ForeignKey(TargetPlan, on_delete=models.CASCADE, related_name="allocations")
    version = models.PositiveIntegerField(_("version"), default=1)
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rep"),
        on_delete=models.PROTECT,
        related_name="target_allocations",
    )
    team = models.ForeignKey(
        "org.Team", verbose_name=_("team"), on_delete=models.PROTECT, related_name="+"
    )
    median_deal = models.DecimalField(_("median won deal size"), **MONEY, null=True, blank=True)
    key_win_rate = models.DecimalField(
        _("key-account win rate"), max_digits=6, decimal_places=4, null=True, blank=True
    )
    won_deals = models.PositiveIntegerField(_("won deals counted"), default=0)
    quadrant = models.CharField(_("quadrant"), max_length=20, choices=Quadrant.choices)
    weight = models.DecimalField(_("weight"), max_digits=8, decimal_places=4)
    share = models.DecimalField(_("share"), max_digits=9, decimal_places=8)
    amount = models.DecimalField(_("target"), **MONEY)
    monthly = models.JSONField(_("by month"), default=list, blank=True)
    adjusted = models.BooleanField(_("adjusted by the manager"), default=False)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("rep target")
        verbose_name_plural = _("rep targets")
        ordering = ["plan", "version", "team", "rep"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "version", "rep"], name="targets_allocation_unique_rep"
            )
        ]
        indexes = [models.Index(fields=["rep", "plan", "version"], name="targets_alloc_rep")]

    def __str__(self):
        return f"{self.plan} · {self.rep} · {self.amount}"


class AdjustmentState(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Adjustment(BaseModel):
    """A change to a published plan (T1 item 1): new amounts per rep with a reason; the
    director's approval writes them as a new allocation version which the plan then
    holds in force. ``changes`` maps rep ids (strings) to new amounts (strings)."""

    plan = models.ForeignKey(TargetPlan, on_delete=models.CASCADE, related_name="adjustments")
    from_version = models.PositiveIntegerField(_("from version"))
    to_version = models.PositiveIntegerField(_("to version"), null=True, blank=True)
    changes = models.JSONField(_("changes"), default=dict)
    reason = models.CharField(_("reason"), max_length=500)
    state = models.CharField(
        _("state"),
        max_length=20,
        choices=AdjustmentState.choices,
        default=AdjustmentState.PENDING,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=500, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("target adjustment")
        verbose_name_plural = _("target adjustments")
        ordering = ["-created_at", "-id"]


class HealthStatus(models.TextChoices):
    GREEN = "green", _("Healthy")
    AMBER = "amber", _("Watch")
    RED = "red", _("At risk")


class HealthSnapshot(models.Model):
    """Target health (T4) of a team (``rep`` empty) or a rep at a month's snapshot: the
    target to date and for the year, achieved to date, qualified pipeline (D8), gap,
    coverage = pipeline / gap and the colour by the thresholds in force then."""

    plan = models.ForeignKey(TargetPlan, on_delete=models.CASCADE, related_name="snapshots")
    version = models.PositiveIntegerField(_("version"))
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    team = models.ForeignKey(
        "org.Team", verbose_name=_("team"), on_delete=models.CASCADE, related_name="+"
    )
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rep"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    target_year = models.DecimalField(_("target for the year"), **MONEY)
    target_to_date = models.DecimalField(_("target to date"), **MONEY)
    achieved = models.DecimalField(_("achieved to date"), **MONEY)
    qualified_pipeline = models.DecimalField(_("qualified pipeline"), **MONEY)
    gap = models.DecimalField(_("gap"), **MONEY)
    coverage = models.DecimalField(_("coverage"), max_digits=10, decimal_places=2, null=True)
    completion = models.DecimalField(_("completion"), max_digits=8, decimal_places=4)
    status = models.CharField(_("status"), max_length=10, choices=HealthStatus.choices)
    taken_at = models.DateTimeField(_("taken at"), default=clock.now)

    class Meta:
        verbose_name = _("target health snapshot")
        verbose_name_plural = _("target health snapshots")
        ordering = ["plan", "month", "team", "rep"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "month", "team", "rep"],
                name="targets_snapshot_unique_rep",
            ),
            models.UniqueConstraint(
                fields=["plan", "month", "team"],
                condition=models.Q(rep__isnull=True),
                name="targets_snapshot_unique_team",
            ),
        ]

    def __str__(self):
        return f"{self.plan} · {self.month:%Y-%m} · {self.rep or self.team}"


class AwardEntitlement(models.Model):
    """The process-health award (T5) a team earned in a quarter: the share of its target
    bonus pool and the snapshots that earned it. Read by the incentives module."""

    plan = models.ForeignKey(TargetPlan, on_delete=models.CASCADE, related_name="awards")
    team = models.ForeignKey("org.Team", on_delete=models.CASCADE, related_name="+")
    quarter = models.PositiveSmallIntegerField(
        _("quarter"), validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    percent = models.DecimalField(_("share of the bonus pool (%)"), max_digits=5, decimal_places=2)
    snapshots = models.ManyToManyField(HealthSnapshot, related_name="+")
    explanation = models.JSONField(_("explanation"), default=dict)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("process-health award")
        verbose_name_plural = _("process-health awards")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "team", "quarter"], name="targets_award_unique_quarter"
            )
        ]

    def __str__(self):
        return f"{self.plan} · {self.team} · Q{self.quarter}"


class SurveyLevel(models.TextChoices):
    DIRECTOR = "director", _("Director")
    MANAGER = "manager", _("Manager")
    REP = "rep", _("Rep")


class Survey(TimeStampedModel):
    """The anonymous consensus survey of a plan (T6)."""

    plan = models.OneToOneField(TargetPlan, on_delete=models.CASCADE, related_name="survey")
    is_open = models.BooleanField(_("open"), default=True)
    closes_on = models.DateField(_("closes on"), null=True, blank=True)

    class Meta:
        verbose_name = _("consensus survey")
        verbose_name_plural = _("consensus surveys")


class SurveyParticipation(models.Model):
    """That a user has answered (so each answers once) — and nothing of what they said.
    Keyed by a random UUID and undated, like the answers, so neither row order nor time
    links a participation to a response."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="participations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "user"], name="targets_survey_one_answer_each"
            )
        ]

    def __str__(self):
        return str(self.id)


class Reachability(models.IntegerChoices):
    NOT_AT_ALL = 1, _("Out of reach")
    HARD = 2, _("Hard")
    STRETCH = 3, _("A stretch")
    LIKELY = 4, _("Likely")
    CERTAIN = 5, _("Certain")


class SurveyResponse(models.Model):
    """An anonymous answer: the respondent's level and team only — no user, no time."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    level = models.CharField(_("level"), max_length=20, choices=SurveyLevel.choices)
    team = models.ForeignKey("org.Team", on_delete=models.CASCADE, related_name="+")
    estimate = models.DecimalField(
        _("your estimate of the team target"),
        **MONEY,
        validators=[MinValueValidator(Decimal("0"))],
    )
    reachability = models.PositiveSmallIntegerField(
        _("how reachable"), choices=Reachability.choices
    )
    priority = models.CharField(_("top priority"), max_length=200)

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        indexes = [models.Index(fields=["survey", "team", "level"], name="targets_resp_team")]

    def __str__(self):
        return str(self.id)


class MeasureMonth(models.Model):  # noqa: DJ008 - a rollup row, never shown
    """Measure rollup per owner, product line and month (kept by :mod:`.rollup`)."""

    measure = models.CharField(max_length=20, choices=Measure.choices)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    product_line = models.CharField(max_length=100, blank=True)
    month = models.DateField()
    amount = models.DecimalField(**MONEY, default=ZERO)
    count = models.PositiveIntegerField(default=0)
    first_on = models.DateField()  # the earliest and latest day of the bucket's records
    last_on = models.DateField()

    class Meta:
        unique_together = [("measure", "owner", "month", "product_line")]  # month ranges
