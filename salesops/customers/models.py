"""Accounts (customer companies) and their contacts with decision-chain roles (SPEC C1)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from salesops.core import choices
from salesops.core.models import BaseModel
from salesops.core.names import company_key
from salesops.core.validators import display_phone
from salesops.core.visibility import OwnedQuerySet
from salesops.customization.models import CustomFieldsModel


# The seeded codes of the editable lists (core.choices; labels are data). Code that
# relies on a particular code (the default level, the decision chain) names it here.
class Industry(models.TextChoices):
    MANUFACTURING = "manufacturing", _("Manufacturing")
    SOFTWARE = "software", _("Software & internet")
    FINANCE = "finance", pgettext_lazy("industry", "Finance")
    EDUCATION = "education", _("Education")
    HEALTHCARE = "healthcare", _("Healthcare")
    RETAIL = "retail", _("Retail & consumer")
    ENERGY = "energy", _("Energy")
    CONSTRUCTION = "construction", _("Construction & real estate")
    LOGISTICS = "logistics", _("Logistics")
    PUBLIC = "public", _("Government & public sector")
    OTHER = "other", _("Other")


class SizeBand(models.TextChoices):
    MICRO = "1-49", _("1–49 employees")
    SMALL = "50-199", _("50–199 employees")
    MEDIUM = "200-999", _("200–999 employees")
    LARGE = "1000-4999", _("1,000–4,999 employees")
    HUGE = "5000+", _("5,000+ employees")


class AccountLevel(models.TextChoices):
    A = "A", _("A – key account")
    B = "B", _("B – important")
    C = "C", _("C – normal")
    D = "D", _("D – low priority")


class DecisionRole(models.TextChoices):
    SIGNATORY = "signatory", _("Signatory")
    IT_LEAD = "it_lead", _("IT lead")
    FINANCE_APPROVER = "finance_approver", _("Finance approver")
    PURCHASER = "purchaser", _("Purchaser")
    USER = "user", _("User")
    OTHER = "other", _("Other")


class AccountQuerySet(OwnedQuerySet):
    """Visible to the owner's line, and to customer success when the account is in their
    book: a customer (revenue registers "has a signed contract") or one they are the
    assigned customer-success manager of (``success_owner``). See core.visibility."""

    owner_path = "owner"
    account_path = "pk"


class Account(BaseModel, CustomFieldsModel):
    """A customer company. Owned by one user; its contacts follow its visibility."""

    layout_required = ("name",)

    name = models.CharField(_("company name"), max_length=200)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        blank=True,
        help_text=_("18 characters, printed on the business licence."),
    )
    # Industry, size and level store codes of editable lists (core.choices).
    industry = models.CharField(_("industry"), max_length=30, blank=True)
    size_band = models.CharField(_("company size"), max_length=30, blank=True)
    province = models.CharField(_("province"), max_length=30, blank=True, db_index=True)
    city = models.CharField(_("city"), max_length=30, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    level = models.CharField(_("level"), max_length=30, default=AccountLevel.C)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="accounts",
    )
    success_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer success manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="success_accounts",
        help_text=_("The customer-success manager who looks after this account."),
    )
    notes = models.TextField(_("notes"), blank=True, max_length=2000)
    nda_signed_on = models.DateField(
        _("NDA signed on"),
        null=True,
        blank=True,
        help_text=_("Core technical parameters may be shared only after an NDA (K10)."),
    )
    # The finance/ERP system's own id for this customer, so its feed can refer to it.
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    # The comparable core of the name (no legal form, region or punctuation), kept by
    # save() for duplicate checks on lead intake (leads.dedup.company_key).
    name_key = models.CharField(max_length=200, blank=True, editable=False)
    name_prefix = models.CharField(max_length=2, blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["name_key", "name_prefix"])

    objects = AccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~Q(credit_code=""),
                name="customers_account_unique_credit_code",
            ),
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="customers_account_unique_external_id",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="cust_acct_owner_created"),
            models.Index(fields=["name"], name="cust_acct_name"),
            # Candidates for fuzzy name matching: equality on the key's first two characters
            # (a LIKE prefix cannot use a plain index on SQLite or on PostgreSQL).
            models.Index(fields=["name_prefix"], name="cust_acct_name_prefix"),
            # The province filter's options for a manager: DISTINCT province over their reps.
            models.Index(fields=["owner", "province"], name="cust_acct_owner_province"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.name_key = company_key(self.name)
        self.name_prefix = self.name_key[:2]
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_key", "name_prefix"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("customers:account_detail", args=[self.pk])

    get_industry_display = choices.display_method("industry", choices.INDUSTRY)
    get_size_band_display = choices.display_method("size_band", choices.COMPANY_SIZE)
    get_level_display = choices.display_method("level", choices.ACCOUNT_LEVEL)


class ContactQuerySet(OwnedQuerySet):
    owner_path = "account__owner"
    account_path = "account"


class Contact(BaseModel, CustomFieldsModel):
    """A person at an account, with their role in the buying decision."""

    layout_required = ("account", "name")

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=100)
    phone = models.CharField(
        _("phone"),
        max_length=20,
        blank=True,
        help_text=_("Mobile or landline; stored in international format."),
    )
    wechat = models.CharField(_("WeChat ID"), max_length=64, blank=True)
    email = models.EmailField(_("email"), blank=True)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    # A code of the editable decision-role list (core.choices).
    decision_role = models.CharField(_("decision role"), max_length=30, default=DecisionRole.OTHER)
    history = HistoricalRecords()

    objects = ContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["phone"], condition=~Q(phone=""), name="customers_contact_unique_phone"
            ),
        ]
        indexes = [
            models.Index(fields=["account", "decision_role"], name="cust_contact_acct_role"),
            # Every lead intake looks for a contact with the inquiry's phone (de-duplication).
            models.Index(fields=["phone"], name="cust_contact_phone"),
            # The inbox matches a sender's address to a contact's email, case-insensitively.
            models.Index(Lower("email"), name="cust_contact_email_lower"),
        ]

    def __str__(self):
        return self.name

    get_decision_role_display = choices.display_method("decision_role", choices.DECISION_ROLE)

    def get_absolute_url(self):
        return reverse("customers:contact_detail", args=[self.pk])

    @property
    def phone_display(self) -> str:
        return display_phone(self.phone)
