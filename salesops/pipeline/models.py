"""Deals and their pipelines (SPEC D1–D8).

A :class:`Pipeline` (per product line or team) has 5–7 ordered open stages plus a won
and a lost stage. Each open stage says what must be true before a deal leaves it
forward (its *exit criteria*: fields filled, evidence of given types uploaded,
activities logged) and whether a manager approves the move. A deal moves forward only
through a :class:`StageChange` request; backward or to lost at any time with a reason.
Every applied move is kept (from, to, when the deal had entered the stage it left, the
working days it spent there), so conversion and time-in-stage read one table.

Thresholds an admin changes (stall days per stage, evidence size and types, the
healthy-deal numbers) are data: :class:`Stage` and :class:`PipelinePolicy`.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesops.core import choices
from salesops.core.models import BaseModel
from salesops.core.visibility import OwnedQuerySet
from salesops.customization.models import CustomFieldsModel

# The deal fields an exit criterion may require (a stage's ``required_fields``).
REQUIRABLE_FIELDS = (
    "amount",
    "expected_close_date",
    "product_line",
    "contacts",
    "need_confirmed",
    "budget_confirmed",
    "decision_maker_identified",
    "commit_category",
)


class Bilingual(models.Model):
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)

    class Meta:
        abstract = True

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        language = (translation.get_language() or "zh-hans").lower()
        return self.name_zh if language.startswith("zh") else (self.name_en or self.name_zh)


class Pipeline(BaseModel, Bilingual):
    code = models.SlugField(_("code"), max_length=50, unique=True)
    product_line = models.CharField(
        _("product line"),
        max_length=30,
        blank=True,
        help_text=_("Deals of this product line go to this pipeline by default."),
    )
    team = models.ForeignKey(
        "org.Team",
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="pipelines",
        help_text=_("Deals of this team's reps go to this pipeline by default."),
    )
    is_default = models.BooleanField(_("default pipeline"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        ordering = ["order", "id"]

    def open_stages(self):
        return self.stages.filter(kind=StageKind.OPEN).order_by("order", "id")


class StageKind(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class Stage(BaseModel, Bilingual):
    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE, related_name="stages"
    )
    code = models.SlugField(_("code"), max_length=50)
    kind = models.CharField(
        _("kind"), max_length=10, choices=StageKind.choices, default=StageKind.OPEN
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"),
        default=10,
        validators=[MaxValueValidator(100)],
        help_text=_("The chance a deal in this stage is won; weights the forecast."),
    )
    colour = models.CharField(
        _("colour"),
        max_length=20,
        default="blue",
        help_text=_(
            "A Tabler colour name (blue, azure, indigo, purple, pink, red, orange, "
            "yellow, lime, green, teal, cyan)."
        ),
    )
    stall_days = models.PositiveSmallIntegerField(
        _("stall alert after (working days)"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("A deal longer than this in the stage alerts its owner and manager."),
    )
    required_fields = models.JSONField(
        _("required fields"),
        default=list,
        blank=True,
        help_text=_("Deal fields that must be filled before leaving the stage forward."),
    )
    required_evidence = models.JSONField(
        _("required evidence"),
        default=list,
        blank=True,
        help_text=_("Evidence types (codes of the list “Evidence type”) to upload first."),
    )
    required_activities = models.JSONField(
        _("required activities"),
        default=list,
        blank=True,
        help_text=_(
            'Activities logged on the deal while in the stage, e.g. [{"kind": '
            '"visit", "count": 1}].'
        ),
    )
    needs_approval = models.BooleanField(
        _("manager approves the move"),
        default=False,
        help_text=_("Moving forward out of this stage waits for the manager (or a rule)."),
    )
    next_actions = models.TextField(
        _("suggested next actions"),
        blank=True,
        help_text=_("One per line; sent with the stall alert."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["pipeline", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "code"], name="stage_unique_code"),
        ]

    @property
    def is_open(self) -> bool:
        return self.kind == StageKind.OPEN

    def next_action_lines(self) -> list[str]:
        return [line.strip() for line in self.next_actions.splitlines() if line.strip()]


class DealStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class CommitCategory(models.TextChoices):
    COMMIT = "commit", _("Commit")
    BEST_CASE = "best_case", _("Best case")
    PIPELINE = "pipeline", _("Pipeline")
    OMITTED = "omitted", _("Omitted")


class DealQuerySet(OwnedQuerySet):
    owner_path = "owner"
    # Customer success sees (not changes) the deals on the accounts in their book.
    account_path = "account"

    def open(self):
        return self.filter(status=DealStatus.OPEN)

    def qualified(self):
        """D8: need, budget and decision maker all confirmed."""
        return self.filter(
            need_confirmed=True, budget_confirmed=True, decision_maker_identified=True
        )


class Deal(BaseModel, CustomFieldsModel):
    name = models.CharField(_("deal name"), max_length=200)
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="deals",
    )
    contacts = models.ManyToManyField(
        "customers.Contact",
        verbose_name=_("decision chain"),
        blank=True,
        related_name="deals",
        help_text=_("The account's contacts involved in the decision."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="deals",
        db_index=False,
    )
    lead = models.ForeignKey(
        "leads.Lead",
        verbose_name=_("lead"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deals",
    )
    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT, related_name="deals"
    )
    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="deals"
    )
    stage_entered_at = models.DateTimeField(_("in stage since"), editable=False)
    stall_due_at = models.DateTimeField(
        _("stalls at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When the deal will have been longer than the stage allows."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=DealStatus.choices, default=DealStatus.OPEN
    )
    product_line = models.CharField(_("product line"), max_length=30, blank=True)
    amount = models.DecimalField(
        _("amount (CNY)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    commit_category = models.CharField(
        _("forecast category"),
        max_length=20,
        choices=CommitCategory.choices,
        default=CommitCategory.PIPELINE,
    )
    need_confirmed = models.BooleanField(_("need confirmed"), default=False)
    budget_confirmed = models.BooleanField(_("budget confirmed"), default=False)
    decision_maker_identified = models.BooleanField(_("decision maker identified"), default=False)
    lost_reason = models.CharField(_("lost reason"), max_length=30, blank=True)
    lost_note = models.CharField(_("lost note"), max_length=500, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    # The healthy-deal check (D7), written by the read model that evaluates it.
    health = models.JSONField(_("healthy-deal check"), default=dict, blank=True, editable=False)
    health_passed = models.PositiveSmallIntegerField(
        _("healthy-deal criteria met"), null=True, blank=True, editable=False
    )
    health_checked_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = HistoricalRecords(
        excluded_fields=["health", "health_passed", "health_checked_at"],
        no_db_index=["created_by", "account", "owner", "lead", "pipeline", "stage"],
    )

    objects = DealQuerySet.as_manager()

    get_product_line_display = choices.display_method("product_line", "product_line")
    get_lost_reason_display = choices.display_method("lost_reason", "deal_lost_reason")

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "status", "stage"], name="deal_owner_status_stage"),
            models.Index(fields=["pipeline", "status", "stage"], name="deal_pipeline_status"),
            models.Index(fields=["stall_due_at"], name="deal_stall_due"),
            models.Index(fields=["status", "expected_close_date"], name="deal_status_close"),
            # The home pages' pipeline figures (open deals, won this month) by owner and
            # stage from the index alone.
            models.Index(
                fields=["status", "closed_at", "owner", "stage", "amount", "stall_due_at"],
                name="deal_figures",
            ),
            # The qualified pipeline per rep (target health): open deals with need, budget
            # and decision maker confirmed (D8), answered from the index alone. ``status``
            # second and the flags at the end are for SQLite's planner: with (owner,
            # product_line, amount) it took deal_owner_status_stage (two equalities) and
            # read every open deal; with the same equalities it prefers a covering index.
            models.Index(
                fields=[
                    "owner",
                    "status",
                    "product_line",
                    "amount",
                    "need_confirmed",
                    "budget_confirmed",
                    "decision_maker_identified",
                ],
                name="deal_qualified_open",
                condition=Q(
                    status="open",
                    need_confirmed=True,
                    budget_confirmed=True,
                    decision_maker_identified=True,
                ),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("pipeline:deal_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == DealStatus.OPEN

    @property
    def qualified(self) -> bool:
        return self.need_confirmed and self.budget_confirmed and self.decision_maker_identified

    @property
    def weighted_amount(self) -> Decimal:
        return (self.amount * Decimal(self.stage.probability) / 100).quantize(Decimal("0.01"))


class ChangeState(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPLIED = "applied", _("Applied")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Withdrawn")


class ChangeDirection(models.TextChoices):
    CREATED = "created", _("Created in stage")
    FORWARD = "forward", _("Forward")
    BACKWARD = "backward", _("Backward")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")
    REOPENED = "reopened", _("Reopened")


class StageChangeQuerySet(OwnedQuerySet):
    owner_path = "deal__owner"
    account_path = "deal__account"


class StageChange(models.Model):
    """One move of a deal between stages: a request waiting for approval, or an applied
    move (with the time the deal spent in the stage it left)."""

    deal = models.ForeignKey(
        Deal, verbose_name=_("deal"), on_delete=models.CASCADE, related_name="stage_changes"
    )
    from_stage = models.ForeignKey(
        Stage,
        verbose_name=_("from stage"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    to_stage = models.ForeignKey(
        Stage, verbose_name=_("to stage"), on_delete=models.PROTECT, related_name="+"
    )
    direction = models.CharField(_("direction"), max_length=10, choices=ChangeDirection.choices)
    state = models.CharField(_("state"), max_length=10, choices=ChangeState.choices)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    lost_reason = models.CharField(_("lost reason"), max_length=30, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_by_rule = models.PositiveIntegerField(_("approved by rule"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=500, blank=True)
    # Set when applied: when the deal had entered ``from_stage`` and how long it stayed.
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    from_entered_at = models.DateTimeField(null=True, blank=True)
    working_days_in_stage = models.DecimalField(
        _("working days in stage"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    # Denormalised for the conversion report (one table, no joins).
    pipeline = models.ForeignKey(
        Pipeline, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    product_line = models.CharField(max_length=30, blank=True)

    objects = StageChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["deal", "-requested_at"], name="stagechange_deal"),
            models.Index(fields=["state", "requested_at"], name="stagechange_state"),
            models.Index(
                fields=["pipeline", "applied_at", "owner"],
                name="stagechange_applied",
                condition=Q(state="applied"),
            ),
            # The conversion report (reports.pipeline_conversion) answers from these alone:
            # every column it reads is in the key (``state`` too: SQLite does not count a
            # partial index's condition as covered), so no table row is visited. The
            # entries are a range of applied_at (with to_stage after it, SQLite's planner
            # otherwise prefers stagechange_applied and visits every row: 1.2 s instead of
            # 0.2 s over 1,000,000 moves); the stays a skip-scan in GROUP BY order
            # (bench/pipeline.py: the whole report ~0.6 s over 1,000,000 moves on SQLite).
            models.Index(
                fields=[
                    "pipeline",
                    "state",
                    "applied_at",
                    "to_stage",
                    "deal",
                    "owner",
                    "product_line",
                ],
                name="stagechange_conv_in",
            ),
            models.Index(
                fields=[
                    "pipeline",
                    "state",
                    "from_stage",
                    "working_days_in_stage",
                    "direction",
                    "from_entered_at",
                    "owner",
                    "product_line",
                ],
                name="stagechange_conv_out",
            ),
            # The diagnosis's forward moves of a window (diagnosis.checks.pipeline), newest
            # first: a range of applied_at, so the records page reads its first 25 without
            # sorting the window (230,000 moves in 30 days at bench/outcomes.py's size).
            models.Index(
                fields=["state", "direction", "applied_at", "owner"],
                name="stagechange_direction_applied",
            ),
        ]
        constraints = [
            # At most one request waits per deal.
            models.UniqueConstraint(
                fields=["deal"], condition=Q(state="pending"), name="stagechange_one_pending"
            ),
        ]

    def __str__(self):
        return f"{self.deal_id}: {self.from_stage_id} → {self.to_stage_id} ({self.state})"


class Evidence(BaseModel):
    """A file proving an exit criterion (方案书, 会议纪要 …). Stored outside the web root
    (``EVIDENCE_ROOT``) and served only through the deal's visibility."""

    deal = models.ForeignKey(
        Deal, verbose_name=_("deal"), on_delete=models.CASCADE, related_name="evidence"
    )
    stage = models.ForeignKey(
        Stage,
        verbose_name=_("stage"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The stage the deal was in when the file was uploaded."),
    )
    stage_change = models.ForeignKey(
        StageChange,
        verbose_name=_("stage change"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="evidence",
    )
    type = models.CharField(_("evidence type"), max_length=30)
    file = models.FileField(_("file"), upload_to="evidence/%Y/%m/", max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type"), max_length=100)
    sha256 = models.CharField(max_length=64, editable=False)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = StageChangeQuerySet.as_manager()

    get_type_display = choices.display_method("type", "evidence_type")

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["-created_at", "-id"]
        indexes = [
            # "Uploaded while the deal was in the stage it left" (the diagnosis's evidence
            # check, one lookup per move): without it SQLite reads the stage's index, every
            # file ever uploaded in that stage, per move.
            models.Index(fields=["deal", "stage"], name="evidence_deal_stage"),
        ]

    def __str__(self):
        return self.original_name

    def get_absolute_url(self):
        return reverse("pipeline:evidence_file", args=[self.pk])


class PipelinePolicy(models.Model):
    """The organisation's pipeline numbers (one row): evidence limits and the
    healthy-deal thresholds (D7). Edited on Settings · Pipeline."""

    evidence_max_mb = models.PositiveSmallIntegerField(
        _("largest evidence file (MB)"),
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(200)],
    )
    evidence_extensions = models.CharField(
        _("evidence file types"),
        max_length=200,
        default="pdf,png,jpg,jpeg,webp,docx,xlsx,pptx,doc,xls,ppt,txt,csv",
        help_text=_("Comma-separated extensions. Executables and web pages are always refused."),
    )
    health_min_roles = models.PositiveSmallIntegerField(
        _("decision roles to cover"), default=3, validators=[MinValueValidator(1)]
    )
    health_min_first_payment = models.PositiveSmallIntegerField(
        _("first payment at least (% of the contract)"),
        default=30,
        validators=[MaxValueValidator(100)],
    )
    health_payment_delay_days = models.PositiveSmallIntegerField(
        _("first payment late after (days)"), default=45
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("pipeline settings")
        verbose_name_plural = _("pipeline settings")

    def __str__(self):
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> PipelinePolicy:
        policy = cls.objects.order_by("pk").first()
        return policy or cls.objects.create()

    def extensions(self) -> set[str]:
        return {
            part.strip().lower().lstrip(".")
            for part in self.evidence_extensions.split(",")
            if part.strip()
        }
