"""After-sales signals (SPEC C3): complaints, NPS responses, service tickets, renewals.

They count what really happened after signing: performance and bonuses read them later
(I2 "no major complaint", I3 response times and NPS change, the 12-month renewal).
Each record belongs to an account and is visible to whoever sees the account. Records
pushed by the finance/ERP feed carry the sender's ``external_id`` (unique per model when
given) and ``source``, so the same record sent twice is recognised and not doubled.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesops.core.calendar import working_minutes_between
from salesops.core.models import BaseModel
from salesops.core.visibility import OwnedQuerySet, editable_owner_ids, visible_owner_ids
from salesops.customization.models import CustomFieldsModel

EXTERNAL_ID_MAX = 100
SOURCE_MANUAL = "manual"


class AccountScopedQuerySet(OwnedQuerySet):
    """Visible and editable exactly when the record's account is (as for contacts)."""

    owner_path = "account__owner"
    # Customer success works the after-sales records of the accounts in their book.
    account_path = "account"
    success_edits = True


class FeedRecord(BaseModel, CustomFieldsModel):
    """What every after-sales record shares: the sender's id and source, custom fields.
    Each model declares its own ``account`` (PROTECT: an account with after-sales history
    is not deleted by accident, these records feed performance and bonuses)."""

    external_id = models.CharField(
        _("external id"),
        max_length=EXTERNAL_ID_MAX,
        blank=True,
        help_text=_("The id in the sending system (ERP, service desk); empty when typed here."),
    )
    source = models.CharField(
        _("source"),
        max_length=50,
        blank=True,
        default=SOURCE_MANUAL,
        help_text=_("Where the record came from: manual, or the feed that sent it."),
    )

    objects = AccountScopedQuerySet.as_manager()

    class Meta:
        abstract = True


def _external_id_unique(model: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(
        fields=["external_id"],
        condition=~Q(external_id=""),
        name=f"aftersales_{model}_unique_external_id",
    )


# --- complaints -----------------------------------------------------------------------------


class Severity(models.TextChoices):
    MAJOR = "major", _("Major")
    MINOR = "minor", _("Minor")


class ComplaintStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


COMPLAINT_DONE = (ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED)


class ComplaintQuerySet(AccountScopedQuerySet):
    """Through the account, and also for the complaint's own owner: a customer-success
    manager handling a complaint sees and works it even when a rep owns the account."""

    def _with_owner(self, scoped, user, *, editing: bool):
        if user is None or not user.is_authenticated or not user.is_active:
            return scoped
        if editing and user.is_read_only_role:
            return scoped
        ids = editable_owner_ids(user) if editing else visible_owner_ids(user)
        if ids is None:
            return scoped
        return scoped | self.filter(owner=user)

    def visible_to(self, user):
        return self._with_owner(super().visible_to(user), user, editing=False)

    def editable_by(self, user):
        return self._with_owner(super().editable_by(user), user, editing=True)

    def open(self):
        return self.exclude(status__in=COMPLAINT_DONE)


class Complaint(FeedRecord):
    """A customer complaint: how serious, where it stands, who handles it and when it was
    raised and resolved. A major complaint holds back deferred bonus (SPEC I2)."""

    layout_required = ("account", "summary", "severity", "raised_on")

    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="complaints",
    )
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.MINOR
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ComplaintStatus.choices, default=ComplaintStatus.OPEN
    )
    summary = models.CharField(_("summary"), max_length=200)
    details = models.TextField(_("details"), blank=True, max_length=4000)
    raised_on = models.DateField(_("raised on"))
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        on_delete=models.PROTECT,
        related_name="complaints",
        help_text=_("Defaults to the account's owner."),
    )
    history = HistoricalRecords()

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-raised_on", "-id"]
        constraints = [_external_id_unique("complaint")]
        indexes = [
            models.Index(fields=["account", "status", "severity"], name="as_complaint_acct_status"),
            models.Index(fields=["raised_on"], name="as_complaint_raised"),
        ]

    def __str__(self):
        return self.summary

    def get_absolute_url(self):
        return reverse("aftersales:complaint_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status not in COMPLAINT_DONE


# --- NPS ------------------------------------------------------------------------------------


class NpsCategory(models.TextChoices):
    PROMOTER = "promoter", _("Promoter")
    PASSIVE = "passive", _("Passive")
    DETRACTOR = "detractor", _("Detractor")


def nps_category(score: int | None) -> str:
    """Promoter 9–10, passive 7–8, detractor 0–6 (the standard Net Promoter bands)."""
    if score is None:
        return ""
    if score >= 9:
        return NpsCategory.PROMOTER
    if score >= 7:
        return NpsCategory.PASSIVE
    return NpsCategory.DETRACTOR


class NpsResponse(FeedRecord):
    """One answer to "how likely are you to recommend us" (0–10), with its comment."""

    layout_required = ("account", "score", "responded_on")

    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="nps_responses",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="nps_responses",
    )
    score = models.PositiveSmallIntegerField(
        _("score"),
        validators=[MinValueValidator(0), MaxValueValidator(10)],
        help_text=_("0 (not at all likely to recommend) to 10 (extremely likely)."),
    )
    # Stored (not only computed) so lists filter and selectors count by it in the database.
    category = models.CharField(
        _("category"), max_length=10, choices=NpsCategory.choices, editable=False, blank=True
    )
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    responded_on = models.DateField(_("responded on"))
    survey = models.CharField(_("survey"), max_length=100, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("NPS response")
        verbose_name_plural = _("NPS responses")
        ordering = ["-responded_on", "-id"]
        constraints = [
            _external_id_unique("nps"),
            models.CheckConstraint(condition=Q(score__lte=10), name="aftersales_nps_score_max"),
        ]
        indexes = [models.Index(fields=["account", "responded_on"], name="as_nps_acct_date")]

    def __str__(self):
        return f"{self.account} · {self.score}"

    def before_save(self) -> None:
        """What every save derives (also run when the feed queues a new row)."""
        self.category = nps_category(self.score)

    def save(self, *args, **kwargs):
        self.before_save()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "score" in update_fields:
            kwargs["update_fields"] = {*update_fields, "category"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("aftersales:nps_detail", args=[self.pk])


# --- service tickets ------------------------------------------------------------------------


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class TicketQuerySet(AccountScopedQuerySet):
    def unresolved(self):
        return self.filter(resolved_at__isnull=True)


class ServiceTicket(FeedRecord):
    """A service request: when it was opened, first answered and resolved. Response times
    are kept in working minutes (business calendar: Chinese workdays, working hours) and
    in wall-clock hours, computed on save so averages are one database query."""

    layout_required = ("account", "subject", "opened_at")

    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="service_tickets",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="service_tickets",
    )
    subject = models.CharField(_("subject"), max_length=200)
    details = models.TextField(_("details"), blank=True, max_length=4000)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    opened_at = models.DateTimeField(_("opened at"))
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    response_working_minutes = models.PositiveIntegerField(
        _("first response (working minutes)"), null=True, blank=True, editable=False
    )
    response_hours = models.DecimalField(
        _("first response (hours)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        editable=False,
    )
    resolution_working_minutes = models.PositiveIntegerField(
        _("resolution (working minutes)"), null=True, blank=True, editable=False
    )
    resolution_hours = models.DecimalField(
        _("resolution (hours)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        editable=False,
    )
    history = HistoricalRecords(
        excluded_fields=[
            "response_working_minutes",
            "response_hours",
            "resolution_working_minutes",
            "resolution_hours",
        ]
    )

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("service ticket")
        verbose_name_plural = _("service tickets")
        ordering = ["-opened_at", "-id"]
        constraints = [_external_id_unique("ticket")]
        indexes = [
            models.Index(fields=["account", "opened_at"], name="as_ticket_acct_opened"),
            # Timer rules ("opened N working minutes ago and still no first response").
            models.Index(fields=["opened_at"], name="as_ticket_opened"),
        ]

    def __str__(self):
        return self.subject

    def before_save(self) -> None:
        """What every save derives (also run when the feed queues a new row)."""
        self.derive_times()

    def save(self, *args, **kwargs):
        self.before_save()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {
                *update_fields,
                "response_working_minutes",
                "response_hours",
                "resolution_working_minutes",
                "resolution_hours",
            }
        super().save(*args, **kwargs)

    def derive_times(self) -> None:
        """Fill the response and resolution times from the three instants."""

        def spans(end):
            if end is None or self.opened_at is None or end < self.opened_at:
                return None, None
            hours = Decimal((end - self.opened_at).total_seconds()) / 3600
            return working_minutes_between(self.opened_at, end), hours.quantize(Decimal("0.01"))

        self.response_working_minutes, self.response_hours = spans(self.first_response_at)
        self.resolution_working_minutes, self.resolution_hours = spans(self.resolved_at)

    def get_absolute_url(self):
        return reverse("aftersales:ticket_detail", args=[self.pk])

    @property
    def state(self) -> str:
        if self.resolved_at:
            return "resolved"
        if self.first_response_at:
            return "responded"
        return "waiting"


# --- renewals -------------------------------------------------------------------------------


class RenewalStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RENEWED = "renewed", _("Renewed")
    LOST = "lost", _("Lost")


class RenewalQuerySet(AccountScopedQuerySet):
    def pending(self):
        return self.filter(status=RenewalStatus.PENDING)


class Renewal(FeedRecord):
    """A renewal due on a date: still pending, renewed (for an amount) or lost (with the
    reason). The contract link is a number for now; it becomes a foreign key when the
    revenue app's contracts exist."""

    layout_required = ("account", "due_on")

    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="renewals",
    )
    contract_number = models.CharField(_("contract number"), max_length=100, blank=True)
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=10, choices=RenewalStatus.choices, default=RenewalStatus.PENDING
    )
    amount = models.DecimalField(
        _("amount (CNY)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    lost_reason = models.CharField(_("reason lost"), max_length=500, blank=True)
    history = HistoricalRecords()

    objects = RenewalQuerySet.as_manager()

    class Meta:
        verbose_name = _("renewal")
        verbose_name_plural = _("renewals")
        ordering = ["due_on", "id"]
        constraints = [
            _external_id_unique("renewal"),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="aftersales_renewal_amount_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["account", "due_on"], name="as_renewal_acct_due"),
            models.Index(fields=["status", "due_on"], name="as_renewal_status_due"),
        ]

    def __str__(self):
        return self.contract_number or f"{self.account} · {self.due_on}"

    def get_absolute_url(self):
        return reverse("aftersales:renewal_detail", args=[self.pk])
