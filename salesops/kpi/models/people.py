"""Customer voice (K6), the capability growth account (K7), coaching plans (K8) and the
data-credibility lists (K9)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesops.core import clock


def default_service_actions() -> list[dict]:
    """The list a customer picks "the 3 service actions you valued most" from; each feeds
    a radar dimension."""
    return [
        {
            "code": "fast_response",
            "label_zh": "响应及时",
            "label_en": "Fast response",
            "dimension": "collaboration",
        },
        {
            "code": "solution_fit",
            "label_zh": "方案贴合需求",
            "label_en": "A solution that fits",
            "dimension": "solution",
        },
        {
            "code": "industry_insight",
            "label_zh": "懂行业、懂业务",
            "label_en": "Industry insight",
            "dimension": "customer_depth",
        },
        {
            "code": "fair_terms",
            "label_zh": "报价与条款透明",
            "label_en": "Clear pricing and terms",
            "dimension": "negotiation",
        },
        {
            "code": "onsite_support",
            "label_zh": "上门/现场支持",
            "label_en": "On-site support",
            "dimension": "customer_depth",
        },
        {
            "code": "follow_through",
            "label_zh": "承诺必达",
            "label_en": "Follows through",
            "dimension": "collaboration",
        },
        {
            "code": "training",
            "label_zh": "培训与使用指导",
            "label_en": "Training and guidance",
            "dimension": "solution",
        },
        {
            "code": "proactive_ideas",
            "label_zh": "主动提出改进建议",
            "label_en": "Proactive ideas",
            "dimension": "prospecting",
        },
    ]


def default_point_values() -> dict:
    return {"collaboration": 10, "case_study": 30, "certification": 50}


def default_rewards() -> list[dict]:
    return [
        {
            "code": "training",
            "label_zh": "外部培训一次",
            "label_en": "An external training course",
            "cost": 100,
        },
        {
            "code": "leave_day",
            "label_zh": "带薪假一天",
            "label_en": "One day of paid leave",
            "cost": 150,
        },
    ]


class GrowthPolicy(models.Model):
    """Numbers of K6–K9 (one row), edited on Settings · KPI (P2)."""

    voice_sample_size = models.PositiveSmallIntegerField(
        _("customers sampled per rep each quarter"), default=3
    )
    voice_lookback_months = models.PositiveSmallIntegerField(
        _("sample customers closed in the last (months)"), default=3
    )
    voice_token_days = models.PositiveSmallIntegerField(_("survey link valid (days)"), default=14)
    service_actions = models.JSONField(_("service actions"), default=default_service_actions)
    point_values = models.JSONField(_("points per contribution"), default=default_point_values)
    rewards = models.JSONField(_("rewards"), default=default_rewards)
    gap_dimension = models.CharField(
        _("gap alert dimension"), max_length=50, default="customer_depth"
    )
    gap_ratio = models.PositiveSmallIntegerField(
        _("gap alert below (% of team average)"), default=50
    )
    gap_quarters = models.PositiveSmallIntegerField(_("for consecutive quarters"), default=2)
    red_min_accuracy = models.PositiveSmallIntegerField(
        _("red list: source accuracy at least (%)"), default=95
    )
    red_max_days = models.PositiveSmallIntegerField(
        _("red list: level updated within (days)"), default=3
    )
    black_max_accuracy = models.PositiveSmallIntegerField(
        _("black list: source accuracy below (%)"), default=80
    )
    black_min_days = models.PositiveSmallIntegerField(
        _("black list: level updated after (days)"), default=14
    )
    credibility_min_leads = models.PositiveSmallIntegerField(
        _("lists: at least this many leads in the month"), default=5
    )
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("growth and credibility settings")
        verbose_name_plural = _("growth and credibility settings")

    def __str__(self):
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> GrowthPolicy:
        policy = cls.objects.order_by("pk").first()
        return policy or cls.objects.create()


class VoiceRound(models.Model):
    """One quarter's customer-voice sampling; ``seed`` makes it reproducible (K6)."""

    period_start = models.DateField(_("quarter start"), unique=True)
    period_end = models.DateField(_("quarter end"))
    seed = models.BigIntegerField(_("random seed"))
    sampled = models.PositiveIntegerField(_("customers sampled"), default=0)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-period_start"]
        verbose_name = _("customer-voice round")
        verbose_name_plural = _("customer-voice rounds")

    def __str__(self):
        return f"{self.period_start:%Y-%m}"


class VoiceSample(models.Model):
    """A customer asked about one rep; the link's token is stored only as its hash."""

    round = models.ForeignKey(VoiceRound, on_delete=models.CASCADE, related_name="samples")
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey("customers.Account", on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(
        "customers.Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    actions = models.JSONField(_("valued service actions"), default=list, blank=True)
    comment = models.CharField(_("comment"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("customer-voice sample")
        verbose_name_plural = _("customer-voice samples")
        constraints = [
            models.UniqueConstraint(fields=["round", "rep", "account"], name="kpi_voice_once")
        ]

    def __str__(self):
        return f"{self.round} · {self.account_id}"


class VoiceMention(models.Model):
    """One service action a customer picked (K6): the rows the voice metrics count."""

    sample = models.ForeignKey(VoiceSample, on_delete=models.CASCADE, related_name="mentions")
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(_("service action"), max_length=50)
    dimension = models.CharField(_("radar dimension"), max_length=50, blank=True)
    answered_at = models.DateTimeField(_("answered at"))

    class Meta:
        verbose_name = _("valued service action")
        verbose_name_plural = _("valued service actions")
        indexes = [models.Index(fields=["rep", "answered_at"], name="kpi_mention_rep")]

    def __str__(self):
        return f"{self.rep_id} · {self.action}"


class PointKind(models.TextChoices):
    COLLABORATION = "collaboration", _("Cross-department collaboration")
    CASE_STUDY = "case_study", _("Reusable case study accepted")
    CERTIFICATION = "certification", _("Product certification")
    REDEMPTION = "redemption", _("Redemption")
    ADJUSTMENT = "adjustment", _("Adjustment")


class ClaimState(models.TextChoices):
    PENDING = "pending", _("Pending approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class PointClaim(models.Model):
    """A request to earn points (a contribution) or spend them (a redemption)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=PointKind.choices)
    reward = models.CharField(_("reward"), max_length=50, blank=True)
    points = models.IntegerField(_("points"))
    description = models.CharField(_("description"), max_length=500)
    evidence_url = models.CharField(_("link to the evidence"), max_length=500, blank=True)
    knowledge_item = models.ForeignKey(
        "knowledge.KnowledgeItem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    state = models.CharField(
        _("state"), max_length=10, choices=ClaimState.choices, default=ClaimState.PENDING
    )
    created_at = models.DateTimeField(_("requested at"), default=clock.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("points claim")
        verbose_name_plural = _("points claims")

    def __str__(self):
        return f"{self.get_kind_display()} · {self.points}"


class PointEntry(models.Model):
    """The growth account (K7): append-only; ``balance`` is the running total after it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=PointKind.choices)
    points = models.IntegerField(_("points"))
    balance = models.IntegerField(_("balance"))
    claim = models.OneToOneField(
        PointClaim, on_delete=models.PROTECT, null=True, blank=True, related_name="entry"
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("at"), default=clock.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(balance__gte=0), name="kpi_points_not_negative"
            )
        ]

    def __str__(self):
        return f"{self.user_id} {self.points:+d} → {self.balance}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("The points ledger is append-only."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("The points ledger is append-only."))


class CoachingPlan(models.Model):
    """A capability-gap alert (K8): a coaching task shared by the manager and customer
    success — never a demotion."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    dimension = models.CharField(_("dimension"), max_length=50)
    period_start = models.DateField(_("quarter start"))
    values = models.JSONField(_("the quarters that raised it"), default=list)
    task = models.ForeignKey(
        "todos.Task", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("coaching plan")
        verbose_name_plural = _("coaching plans")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dimension", "period_start"], name="kpi_coaching_once"
            )
        ]

    def __str__(self):
        return f"{self.user_id} · {self.dimension} · {self.period_start:%Y-%m}"


class CredibilityList(models.TextChoices):
    RED = "red", _("Red list (honour)")
    BLACK = "black", _("Black list")
    NONE = "", _("Neither")


class CredibilityEntry(models.Model):
    """A rep's monthly data-credibility figures (K9) with the counts behind them."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(
        "org.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    month = models.DateField(_("month"))
    leads = models.PositiveIntegerField(_("leads"), default=0)
    corrected = models.PositiveIntegerField(_("source corrected"), default=0)
    source_accuracy = models.DecimalField(
        _("source accuracy (%)"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    level_events = models.PositiveIntegerField(_("level-qualifying events"), default=0)
    level_days = models.DecimalField(
        _("average days to level update"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    listed = models.CharField(
        _("list"), max_length=10, choices=CredibilityList.choices, blank=True, default=""
    )
    inputs = models.JSONField(_("inputs"), default=dict)
    computed_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-month", "user"]
        verbose_name = _("credibility entry")
        verbose_name_plural = _("credibility entries")
        constraints = [
            models.UniqueConstraint(fields=["user", "month"], name="kpi_credibility_once")
        ]

    def __str__(self):
        return f"{self.user_id} · {self.month:%Y-%m}"


def new_uuid():
    return uuid.uuid4()
