"""What happened after signing (SPEC C2): contracts with their payment plan and
implementation schedule, orders, payments (回款), invoices and deliveries.

Every record belongs to an account and is visible when its account is (reps: their own
accounts' records; managers: their team's; directors, admins and finance: all). Finance
records payments and invoices for every account; contracts stay with sales.

Every model carries ``external_id`` + ``source`` so a finance/ERP system can push it
through the feed (``salesops.integrations``) and refer to it again; derived figures (paid
to date, remaining, first-payment percent, overdue instalments) are computed in
``selectors`` and properties, never typed in.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from salesops.core import clock
from salesops.core.models import BaseModel
from salesops.core.validators import safe_link
from salesops.core.visibility import OwnedQuerySet
from salesops.customization.models import CustomFieldsModel
from salesops.org.models import Role

from .weeks import validate_week, week_of

MONEY = {"max_digits": 14, "decimal_places": 2}


def is_finance(user) -> bool:
    """Finance staff record payments and invoices for every account."""
    return bool(user and user.is_authenticated and user.is_active and user.role == Role.FINANCE)


class RevenueQuerySet(OwnedQuerySet):
    """Visible (and editable) exactly when the account is."""

    owner_path = "account__owner"
    # Customer success reads the revenue records of the accounts in their book.
    account_path = "account"


class DeliveryQuerySet(RevenueQuerySet):
    """Delivery milestones: customer success also works them on their book's accounts."""

    success_edits = True


class FinanceRecordQuerySet(RevenueQuerySet):
    """Payments and invoices: finance, read-only elsewhere, keeps these for every account."""

    def editable_by(self, user):
        if is_finance(user):
            return self
        return super().editable_by(user)


class ExternalRecord(models.Model):
    """The id a finance/ERP system gives the record, and which system sent it. Blank for
    records entered here; unique per model otherwise, so a re-sent record is found again."""

    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    source = models.CharField(
        _("source system"), max_length=50, blank=True, help_text=_("For example “kingdee”.")
    )

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="%(app_label)s_%(class)s_unique_external_id",
            ),
        ]


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SIGNED = "signed", _("Signed")
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    TERMINATED = "terminated", _("Terminated")


# A contract in one of these has been signed (``contract.signed`` fires on entering one).
SIGNED_STATUSES = (ContractStatus.SIGNED, ContractStatus.ACTIVE, ContractStatus.COMPLETED)


class Contract(BaseModel, ExternalRecord, CustomFieldsModel):
    """A signed (or draft) agreement with an account: amount, term, clauses, attachments,
    a customised-service annex when it has one, its payment plan (instalments) and its
    implementation schedule (milestones)."""

    layout_required = ("number", "account", "amount")

    number = models.CharField(_("contract number"), max_length=50, unique=True)
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    deal = models.ForeignKey(
        "pipeline.Deal",
        verbose_name=_("deal"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contracts",
        help_text=_("The deal this contract closes (read by the healthy-deal check)."),
    )
    product_line = models.CharField(_("product line"), max_length=100, blank=True)
    amount = models.DecimalField(_("contract amount"), **MONEY)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    start_on = models.DateField(_("starts on"), null=True, blank=True)
    end_on = models.DateField(_("ends on"), null=True, blank=True)
    term_months = models.PositiveSmallIntegerField(_("term (months)"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ContractStatus.choices, default=ContractStatus.DRAFT
    )
    clauses = models.TextField(_("clauses"), blank=True, max_length=20000)
    has_custom_service = models.BooleanField(_("has customised-service clauses"), default=False)
    custom_service_annex = models.TextField(
        _("customised-service annex"),
        blank=True,
        max_length=20000,
        help_text=_("What the customised service covers; required when the contract has one."),
    )
    attachments = models.JSONField(
        _("attachments"),
        default=list,
        blank=True,
        help_text=_("A list of {“name”, “url”} of the signed scans and annexes."),
    )
    history = HistoricalRecords()

    objects = RevenueQuerySet.as_manager()

    class Meta(ExternalRecord.Meta):
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-signed_on", "-id"]
        indexes = [
            models.Index(fields=["account", "status"], name="rev_contract_account_status"),
            models.Index(fields=["owner", "-signed_on"], name="rev_contract_owner_signed"),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("revenue:contract_detail", args=[self.pk])

    @property
    def is_signed(self) -> bool:
        return self.status in SIGNED_STATUSES

    @property
    def first_payment_percent(self) -> Decimal | None:
        """The first instalment's share of the amount (SPEC C2: derived, never typed)."""
        first = min(self.instalments.all(), key=lambda i: i.sequence, default=None)
        return first.percent if first else None

    @property
    def attachment_links(self) -> list[dict]:
        """The attachments for a page: a link only where it is http(s) or an uploaded
        file (a row stored before links were checked shows as plain text)."""
        rows = self.attachments if isinstance(self.attachments, list) else []
        return [
            {"name": str(a.get("name", "")), "url": safe_link(a.get("url"))}
            for a in rows
            if isinstance(a, dict)
        ]

    @property
    def milestones_list(self) -> list:
        return list(self.deliveries.all())


class Instalment(models.Model):
    """One step of a contract's payment plan: due date and percentage. ``amount`` is
    derived by the services (contract amount × percent, the last instalment taking the
    rounding remainder so the plan adds up to the contract amount exactly)."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="instalments"
    )
    sequence = models.PositiveSmallIntegerField(_("number"))
    due_on = models.DateField(_("due on"))
    percent = models.DecimalField(_("percent"), max_digits=5, decimal_places=2)
    amount = models.DecimalField(_("amount"), **MONEY, editable=False)
    note = models.CharField(_("note"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        ordering = ["contract", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "sequence"], name="revenue_instalment_unique_sequence"
            ),
        ]

    def __str__(self):
        return f"{self.contract_id} #{self.sequence}"


class DeliveryStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Delivery(BaseModel, ExternalRecord):
    """A delivery or implementation milestone of a contract, scheduled to the week
    (``planned_week`` / ``actual_week`` as ISO weeks, "2026-W49")."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="deliveries"
    )
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    name = models.CharField(_("milestone"), max_length=200)
    sequence = models.PositiveSmallIntegerField(_("order"), default=0)
    planned_week = models.CharField(
        _("planned week"), max_length=8, validators=[validate_week], help_text="2026-W49"
    )
    actual_week = models.CharField(
        _("actual week"), max_length=8, blank=True, validators=[validate_week]
    )
    status = models.CharField(
        _("status"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PLANNED
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    history = HistoricalRecords()

    objects = DeliveryQuerySet.as_manager()

    class Meta(ExternalRecord.Meta):
        verbose_name = _("delivery milestone")
        verbose_name_plural = _("delivery milestones")
        ordering = ["contract", "sequence", "planned_week", "id"]
        indexes = [models.Index(fields=["account", "status"], name="rev_delivery_account_status")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("revenue:contract_detail", args=[self.contract_id]) + "#deliveries"

    @property
    def is_late(self) -> bool:
        """Done after the planned week, or not done and the planned week is over."""
        if self.status == DeliveryStatus.CANCELLED:
            return False
        if self.status == DeliveryStatus.DONE:
            return bool(self.actual_week) and self.actual_week > self.planned_week
        return week_of(clock.today()) > self.planned_week


class OrderStatus(models.TextChoices):
    OPEN = "open", _("Open")
    FULFILLED = "fulfilled", _("Fulfilled")
    CANCELLED = "cancelled", _("Cancelled")


class Order(BaseModel, ExternalRecord, CustomFieldsModel):
    """An order placed under a contract (a call-off, an add-on purchase)."""

    number = models.CharField(_("order number"), max_length=50, blank=True)
    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="orders"
    )
    account = models.ForeignKey(
        "customers.Account", verbose_name=_("account"), on_delete=models.PROTECT, related_name="+"
    )
    ordered_on = models.DateField(_("ordered on"))
    amount = models.DecimalField(_("amount"), **MONEY)
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.OPEN
    )
    description = models.CharField(_("description"), max_length=500, blank=True)
    history = HistoricalRecords()

    objects = RevenueQuerySet.as_manager()

    class Meta(ExternalRecord.Meta):
        verbose_name = pgettext_lazy("sales order", "order")
        verbose_name_plural = _("orders")
        ordering = ["-ordered_on", "-id"]
        constraints = [
            *ExternalRecord.Meta.constraints,
            models.UniqueConstraint(
                fields=["number"], condition=~Q(number=""), name="revenue_order_unique_number"
            ),
        ]

    def __str__(self):
        return self.number or f"#{self.pk}"

    def get_absolute_url(self):
        return reverse("revenue:contract_detail", args=[self.contract_id]) + "#orders"


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    ACCEPTANCE_BILL = "acceptance_bill", _("Bank acceptance bill")
    CHEQUE = "cheque", _("Cheque")
    ONLINE = "online", _("Online payment")
    CASH = "cash", _("Cash")
    OTHER = "other", _("Other")


class Payment(BaseModel, ExternalRecord, CustomFieldsModel):
    """Money received (回款) against a contract, optionally settling one instalment.
    ``flagged`` marks a payment that needs a look (more than the contract's remaining
    amount) with the reason in ``flag_reason``."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="payments"
    )
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="payments",
    )
    instalment = models.ForeignKey(
        Instalment,
        verbose_name=_("instalment"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="payments",
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    received_on = models.DateField(_("received on"))
    method = models.CharField(
        _("method"),
        max_length=20,
        choices=PaymentMethod.choices,
        default=PaymentMethod.BANK_TRANSFER,
    )
    reference = models.CharField(_("bank reference"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    flagged = models.BooleanField(_("flagged"), default=False)
    flag_reason = models.CharField(_("flag reason"), max_length=300, blank=True)
    history = HistoricalRecords()

    objects = FinanceRecordQuerySet.as_manager()

    class Meta(ExternalRecord.Meta):
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-received_on", "-id"]
        indexes = [
            models.Index(fields=["contract", "received_on"], name="rev_payment_contract_day"),
            models.Index(fields=["account", "-received_on"], name="rev_payment_account_day"),
        ]

    def __str__(self):
        return f"{self.contract} · {self.amount}"

    def get_absolute_url(self):
        return reverse("revenue:contract_detail", args=[self.contract_id]) + "#payments"


class InvoiceStatus(models.TextChoices):
    ISSUED = "issued", _("Issued")
    VOID = "void", _("Void")
    RED_REVERSED = "red_reversed", _("Reversed (red invoice)")


class Invoice(BaseModel, ExternalRecord, CustomFieldsModel):
    """An invoice (发票) issued to the account under a contract."""

    number = models.CharField(_("invoice number"), max_length=50, unique=True)
    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="invoices"
    )
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    issued_on = models.DateField(_("issued on"))
    status = models.CharField(
        _("status"), max_length=20, choices=InvoiceStatus.choices, default=InvoiceStatus.ISSUED
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    history = HistoricalRecords()

    objects = FinanceRecordQuerySet.as_manager()

    class Meta(ExternalRecord.Meta):
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issued_on", "-id"]
        indexes = [models.Index(fields=["account", "-issued_on"], name="rev_invoice_account_day")]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("revenue:contract_detail", args=[self.contract_id]) + "#invoices"


class OverContract(models.TextChoices):
    FLAG = "flag", _("Keep it and flag it for a look")
    REJECT = "reject", _("Refuse it")


def default_finance_roles() -> list[str]:
    return ["finance"]


class RevenuePolicy(models.Model):
    """Who may touch money (one row, edited on the revenue policy settings page, audited):
    which roles record payments and invoices, which change a signed contract's amount,
    payment plan and clauses, and what happens to a payment that takes a contract over
    its amount. Reps draft and edit unsigned contracts whatever this says; the finance
    feed writes through the services and is not bound by it."""

    billing_roles = models.JSONField(
        _("roles that record payments and invoices"), default=default_finance_roles
    )
    signed_contract_roles = models.JSONField(
        _("roles that change signed contracts' amount, plan and clauses"),
        default=default_finance_roles,
    )
    payment_over_contract = models.CharField(
        _("a payment over the contract amount"),
        max_length=10,
        choices=OverContract.choices,
        default=OverContract.FLAG,
    )
    updated_at = models.DateTimeField(_("updated at"), default=clock.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("revenue policy")
        verbose_name_plural = _("revenue policy")

    def __str__(self):
        return str(_("Revenue policy"))
