"""Forms for the account and contact pages.

The forms only parse what the browser sent; the services validate and write. That keeps
one set of rules for the pages, the API and imports, and the messages the same wherever
a record is entered.
"""

from __future__ import annotations

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from salesops.core import choices
from salesops.core.forms import PageFormMixin, ServiceModelForm
from salesops.customization.formfields import CustomFieldsFormMixin
from salesops.org import selectors as org_selectors
from salesops.org.models import Role, User

from . import selectors, services
from .models import Account, Contact


def _relax_length(field: forms.CharField, length: int) -> None:
    """Let the service normalise the value (``9131 0000-…``, ``+86 138 …``) and measure it
    afterwards; the raw input may be longer than the stored form."""
    field.max_length = length
    field.validators = [v for v in field.validators if not isinstance(v, MaxLengthValidator)]
    field.validators.append(MaxLengthValidator(length))
    field.widget.attrs["maxlength"] = str(length)


class AccountForm(PageFormMixin, CustomFieldsFormMixin, ServiceModelForm):
    custom_entity = "account"
    service_checks_required = True

    class Meta:
        model = Account
        fields = services.ACCOUNT_FIELDS
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 3}),
            "nda_signed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, user: User, layout: str = "default", **kwargs):
        super().__init__(*args, **kwargs)
        _relax_length(self.fields["credit_code"], 40)
        self.fields["credit_code"].widget.attrs.update(
            {"autocomplete": "off", "spellcheck": "false", "class": "text-uppercase"}
        )
        if user.is_manager_role or user.sees_everything:
            owners = org_selectors.visible_users(user)
            if self.instance.pk:
                # Keep the current owner selectable even when they left the team or were
                # deactivated, so saving other fields does not force a new owner.
                owners = owners | User.objects.filter(pk=self.instance.owner_id)
            self.fields["owner"].queryset = owners.distinct().order_by("display_name", "username")
            self.fields["owner"].label_from_instance = lambda u: u.label
            if not self.instance.pk:
                self.initial.setdefault("owner", user.pk)
            # An empty choice means "keep it as it is" (yourself for a new account), so a
            # missing owner never hides the other errors of the form.
            self.fields["owner"].required = False
            self.fields["owner"].service_required = True
        else:
            # A rep creates records for themselves and cannot hand them over.
            del self.fields["owner"]
        choices.use_lists(self, services.ACCOUNT_LISTS, self.instance)
        success = self.fields["success_owner"]
        managers = User.objects.filter(is_active=True, role=Role.CUSTOMER_SUCCESS)
        if self.instance.pk and self.instance.success_owner_id:
            managers = managers | User.objects.filter(pk=self.instance.success_owner_id)
        success.queryset = managers.distinct().order_by("display_name", "username")
        success.label_from_instance = lambda u: u.label
        success.empty_label = _("Not assigned")
        self.init_custom_fields(layout)

    def service_data(self) -> dict:
        data = super().service_data()
        if data.get("owner", False) is None:
            del data["owner"]
        return data


class ContactForm(PageFormMixin, CustomFieldsFormMixin, ServiceModelForm):
    custom_entity = "contact"
    service_checks_required = True

    class Meta:
        model = Contact
        fields = services.CONTACT_FIELDS

    #: How many accounts the picker lists before asking the user to search.
    ACCOUNT_OPTIONS = 100

    def __init__(
        self, *args, user: User, account_query: str = "", layout: str = "default", **kwargs
    ):
        super().__init__(*args, **kwargs)
        _relax_length(self.fields["phone"], 32)
        self.fields["phone"].widget.input_type = "tel"  # the phone keypad on mobiles
        self.fields["phone"].widget.attrs["autocomplete"] = "off"
        field = self.fields["account"]
        # Validation looks the chosen id up among the accounts the user may edit, so a
        # forged id for someone else's account is rejected as "not one of the choices".
        field.queryset = Account.objects.editable_by(user)
        field.empty_label = _("Choose an account")
        # Rendering every editable account would put 50,000 options into the page for a
        # director; list a first batch (plus the chosen one) and offer a search.
        options, self.more_accounts = selectors.account_options(
            user=user,
            selected=self._selected_account(),
            q=account_query,
            limit=self.ACCOUNT_OPTIONS,
        )
        field.widget.choices = [("", field.empty_label), *[(a.pk, a.name) for a in options]]
        choices.use_lists(self, services.CONTACT_LISTS, self.instance)
        self.init_custom_fields(layout)

    def _selected_account(self):
        value = self.data.get("account") if self.is_bound else None
        if value in (None, ""):
            value = self.initial.get("account") or (
                self.instance.account_id if self.instance.pk else None
            )
        if hasattr(value, "pk"):
            value = value.pk
        try:
            return int(value) if value not in (None, "") else None
        except (TypeError, ValueError):
            return None
