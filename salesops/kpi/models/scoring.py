"""KPI schemes and score runs (SPEC K1–K4).

A **metric** is data: an aggregate over one registered source (``sources.py``: activities,
deals, contracts, payments, complaints, NPS answers, stage changes, evidence, knowledge
usage, leads …) per owner and period — source, filter expression, aggregate, value field,
date field — or a formula over other metrics. A **scheme** (per role, optionally per team
subtree) is saved as an immutable **version** with an effective date; each version item
keeps a snapshot of its metric's definition, so a past run replays exactly what it scored
with. A **score run** is one (scheme, period): live while the period is open (each rep is
recomputed within a minute of new data), final after it closes; it keeps every metric
value with its inputs (P4).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesops.core import clock
from salesops.core.models import BaseModel

SCORE = {"max_digits": 9, "decimal_places": 2}
VALUE = {"max_digits": 20, "decimal_places": 4}
WEIGHT = {"max_digits": 5, "decimal_places": 2}


class MetricKind(models.TextChoices):
    AGGREGATE = "aggregate", _("Aggregate over records")
    DERIVED = "derived", _("Formula over other metrics")


class Aggregate(models.TextChoices):
    COUNT = "count", _("Count")
    SUM = "sum", _("Sum")
    AVG = "avg", _("Average")
    COUNT_DISTINCT = "count_distinct", _("Count distinct")
    MIN = "min", _("Minimum")
    MAX = "max", _("Maximum")


class Unit(models.TextChoices):
    COUNT = "count", _("Count")
    MONEY = "money", _("Money (¥)")
    PERCENT = "percent", _("Percent")
    DAYS = "days", _("Days")
    SCORE = "score", _("Score")
    NUMBER = "number", _("Number")


class MetricGroup(models.TextChoices):
    RESULT = "result", _("Result")
    PROCESS = "process", _("Process")
    QUALITY = "quality", _("Quality")


class TargetSource(models.TextChoices):
    NONE = "none", _("No target")
    FIXED = "fixed", _("A fixed number")
    PLAN = "plan", _("The rep's target (targets module)")


class RankingVisibility(models.TextChoices):
    RANK_ONLY = "rank_only", _("Reps see their own rank only")
    TEAM = "team", _("Reps see their team's ranking with names")
    ORG = "org", _("Everyone sees the whole ranking with names")


class BenchmarkMode(models.TextChoices):
    MEDIAN = "median", _("The team's median")
    FIXED = "fixed", _("A set value per metric")


def default_comparison_metrics() -> list[str]:
    return [
        "conversion_rate",
        "repurchase_rate",
        "avg_deal_size",
        "touches_per_day",
        "cycle_days",
        "nps",
    ]


class KpiPolicy(models.Model):
    """The KPI module's organisation-wide numbers (one row), edited on Settings · KPI (P2)."""

    result_weight = models.DecimalField(_("result group weight (%)"), default=60, **WEIGHT)
    process_weight = models.DecimalField(_("process group weight (%)"), default=25, **WEIGHT)
    quality_weight = models.DecimalField(_("quality group weight (%)"), default=15, **WEIGHT)
    process_min = models.DecimalField(_("process group at least (%)"), default=25, **WEIGHT)
    process_max = models.DecimalField(_("process group at most (%)"), default=40, **WEIGHT)
    ranking_visibility = models.CharField(
        _("ranking visibility"),
        max_length=20,
        choices=RankingVisibility.choices,
        default=RankingVisibility.TEAM,
    )
    comparison_metrics = models.JSONField(
        _("my-comparison metrics"), default=default_comparison_metrics
    )
    benchmark_mode = models.CharField(
        _("benchmark"), max_length=10, choices=BenchmarkMode.choices, default=BenchmarkMode.MEDIAN
    )
    benchmark_values = models.JSONField(
        _("benchmark values"), default=dict, blank=True, help_text=_("Metric code → value.")
    )
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("KPI settings")
        verbose_name_plural = _("KPI settings")

    def __str__(self):
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> KpiPolicy:
        policy = cls.objects.order_by("pk").first()
        if policy is None:
            policy = cls.objects.create()
            # Read back: a new instance holds the Python defaults (int 60, not Decimal),
            # which the settings' messages format as decimals.
            policy.refresh_from_db()
        return policy


class Metric(BaseModel):
    """A named aggregate over real data for a rep and period, or a formula over metrics."""

    code = models.SlugField(
        _("code"), max_length=50, unique=True, help_text=_("Used in formulas, e.g. signed_amount.")
    )
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    description = models.CharField(_("description"), max_length=500, blank=True)
    kind = models.CharField(
        _("kind"), max_length=10, choices=MetricKind.choices, default=MetricKind.AGGREGATE
    )
    source = models.CharField(_("source"), max_length=40, blank=True)
    filter = models.TextField(
        _("filter"), blank=True, max_length=1000, help_text=_('e.g. kind == "visit" and effective')
    )
    aggregate = models.CharField(
        _("aggregate"), max_length=20, choices=Aggregate.choices, default=Aggregate.COUNT
    )
    field = models.CharField(_("value field"), max_length=60, blank=True)
    date_field = models.CharField(_("date field"), max_length=60, blank=True)
    formula = models.TextField(
        _("formula"), blank=True, max_length=1000, help_text=_("Over other metrics' codes.")
    )
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices, default=Unit.COUNT)
    higher_is_better = models.BooleanField(_("higher is better"), default=True)
    is_builtin = models.BooleanField(_("built in"), default=False, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("metric")
        verbose_name_plural = _("metrics")

    def __str__(self):
        return f"{self.name_zh} ({self.code})"

    def definition(self) -> dict:
        """What a scheme version keeps of this metric (its replayable snapshot)."""
        return {
            "code": self.code,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "kind": self.kind,
            "source": self.source,
            "filter": self.filter,
            "aggregate": self.aggregate,
            "field": self.field,
            "date_field": self.date_field,
            "formula": self.formula,
            "unit": self.unit,
            "higher_is_better": self.higher_is_better,
        }


class Scheme(BaseModel):
    """The KPI scheme of a role, for the whole organisation or a team's subtree."""

    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("role"), max_length=20, default="rep")
    team = models.ForeignKey(
        "org.Team",
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="kpi_schemes",
        help_text=_("Empty: the whole organisation."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("KPI scheme")
        verbose_name_plural = _("KPI schemes")

    def __str__(self):
        return self.name


class SchemeVersion(models.Model):
    """One saved state of a scheme: immutable once written (K2)."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    effective_from = models.DateField(_("effective from"))
    result_weight = models.DecimalField(_("result weight (%)"), **WEIGHT)
    process_weight = models.DecimalField(_("process weight (%)"), **WEIGHT)
    quality_weight = models.DecimalField(_("quality weight (%)"), **WEIGHT)
    note = models.CharField(_("change note"), max_length=500, blank=True)
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
        ordering = ["scheme", "-number"]
        verbose_name = _("scheme version")
        verbose_name_plural = _("scheme versions")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "number"], name="kpi_version_number")
        ]
        indexes = [models.Index(fields=["scheme", "effective_from"], name="kpi_version_effective")]

    def __str__(self):
        return f"{self.scheme} v{self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.pop("_allow_update", False):
            raise ValidationError(_("A saved scheme version cannot be changed; save a new one."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("A saved scheme version cannot be deleted."))

    def group_weight(self, group: str) -> Decimal:
        return {
            MetricGroup.RESULT: self.result_weight,
            MetricGroup.PROCESS: self.process_weight,
            MetricGroup.QUALITY: self.quality_weight,
        }[group]


class SchemeItem(models.Model):
    """A metric in a scheme version: its group, weight in the group, scoring formula and
    target. ``metric_definition`` is the metric as it was when the version was saved."""

    version = models.ForeignKey(SchemeVersion, on_delete=models.CASCADE, related_name="items")
    metric = models.ForeignKey(Metric, on_delete=models.PROTECT, related_name="+")
    metric_definition = models.JSONField(default=dict, editable=False)
    group = models.CharField(_("group"), max_length=10, choices=MetricGroup.choices)
    weight = models.DecimalField(_("weight in group (%)"), **WEIGHT)
    formula = models.CharField(
        _("scoring formula"), max_length=500, default="min(actual / target, 1.2) * 100"
    )
    target_source = models.CharField(
        _("target"), max_length=10, choices=TargetSource.choices, default=TargetSource.FIXED
    )
    target_value = models.DecimalField(_("fixed target"), null=True, blank=True, **VALUE)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["version", "order", "pk"]
        verbose_name = _("scheme metric")
        verbose_name_plural = _("scheme metrics")
        constraints = [
            models.UniqueConstraint(fields=["version", "metric"], name="kpi_item_metric_once")
        ]

    def __str__(self):
        return f"{self.version} · {self.metric_definition.get('code', self.metric_id)}"


class RunState(models.TextChoices):
    RUNNING = "running", _("Running")
    LIVE = "live", _("Live (period open)")
    FINAL = "final", _("Final")
    FAILED = "failed", _("Failed")


class ScoreRun(models.Model):
    """The scores of one scheme for one period, with the version in force for it."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="runs")
    version = models.ForeignKey(SchemeVersion, on_delete=models.PROTECT, related_name="runs")
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    state = models.CharField(
        _("state"), max_length=10, choices=RunState.choices, default=RunState.RUNNING
    )
    reps = models.PositiveIntegerField(_("reps"), default=0)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    started_at = models.DateTimeField(_("started at"), default=clock.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-period_start", "scheme"]
        verbose_name = _("score run")
        verbose_name_plural = _("score runs")
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "period_start", "period_end"], name="kpi_run_period"
            )
        ]

    def __str__(self):
        return f"{self.scheme} {self.period_start:%Y-%m}"


class RepScore(models.Model):
    """A rep's total and group scores in a run, with their ranks."""

    run = models.ForeignKey(ScoreRun, on_delete=models.CASCADE, related_name="scores")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(
        "org.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    score = models.DecimalField(_("score"), **SCORE)
    result_score = models.DecimalField(_("result"), **SCORE)
    process_score = models.DecimalField(_("process"), **SCORE)
    quality_score = models.DecimalField(_("quality"), **SCORE)
    rank_team = models.PositiveIntegerField(_("rank in team"), null=True, blank=True)
    rank_org = models.PositiveIntegerField(_("rank in organisation"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"), default=clock.now)

    class Meta:
        verbose_name = _("rep score")
        verbose_name_plural = _("rep scores")
        constraints = [models.UniqueConstraint(fields=["run", "user"], name="kpi_score_once")]
        indexes = [models.Index(fields=["run", "-score"], name="kpi_score_rank")]

    def __str__(self):
        return f"{self.user_id} · {self.score}"


class MetricValue(models.Model):
    """One metric of one rep in a run: actual, target, score and the inputs (P4)."""

    run = models.ForeignKey(ScoreRun, on_delete=models.CASCADE, related_name="values")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(SchemeItem, on_delete=models.PROTECT, related_name="+")
    actual = models.DecimalField(_("actual"), null=True, blank=True, **VALUE)
    target = models.DecimalField(_("target"), null=True, blank=True, **VALUE)
    score = models.DecimalField(_("score"), **SCORE)
    inputs = models.JSONField(_("inputs"), default=dict)
    error = models.CharField(_("error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("metric value")
        verbose_name_plural = _("metric values")
        constraints = [
            models.UniqueConstraint(fields=["run", "user", "item"], name="kpi_value_once")
        ]

    def __str__(self):
        return f"{self.user_id} · {self.item_id} · {self.score}"


class DirtyRep(models.Model):
    """A rep whose data changed since their live scores were computed (swept each minute)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    marked_at = models.DateTimeField(default=clock.now)

    def __str__(self):
        return str(self.user_id)


class RadarDimension(models.Model):
    """A capability-radar axis (K5): a formula over metric codes, scored 0–100."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    formula = models.CharField(_("formula"), max_length=500)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("radar dimension")
        verbose_name_plural = _("radar dimensions")

    def __str__(self):
        return self.name_zh


class RadarScore(models.Model):
    """A rep's radar value for a quarter, stored by the quarterly run (K8 reads two)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(
        "org.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    dimension = models.CharField(_("dimension"), max_length=50)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    value = models.DecimalField(_("value"), **SCORE)
    team_average = models.DecimalField(_("team average"), null=True, blank=True, **SCORE)
    inputs = models.JSONField(_("inputs"), default=dict)
    computed_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("radar score")
        verbose_name_plural = _("radar scores")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dimension", "period_start"], name="kpi_radar_once"
            )
        ]

    def __str__(self):
        return f"{self.user_id} · {self.dimension} · {self.value}"


__all__ = [
    "Aggregate",
    "BenchmarkMode",
    "DirtyRep",
    "KpiPolicy",
    "Metric",
    "MetricGroup",
    "MetricKind",
    "MetricValue",
    "RadarDimension",
    "RadarScore",
    "RankingVisibility",
    "RepScore",
    "RunState",
    "Scheme",
    "SchemeItem",
    "SchemeVersion",
    "ScoreRun",
    "TargetSource",
    "Unit",
]
