"""Forms for the after-sales pages. They only parse what the browser sent; the services
validate and write, so the pages, the API and the feed share one set of rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from salesops.core.forms import (
    DateInput,
    DateTimeInput,
    PageFormMixin,
    ServiceModelForm,
)
from salesops.customers import selectors as customer_selectors
from salesops.customers.models import Account, Contact
from salesops.customization.formfields import CustomFieldsFormMixin

from . import selectors, services
from .models import Complaint, NpsResponse, Renewal, ServiceTicket

#: How many accounts the picker lists before the user has to narrow it by name.
ACCOUNT_OPTIONS = 100


class AfterSalesForm(PageFormMixin, CustomFieldsFormMixin, ServiceModelForm):
    """A ModelForm for labels, widgets and parsing; required fields are let through empty
    so the service reports every problem of the record in one answer."""

    has_contact = True

    def __init__(self, *args, user, account_query: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        # The account picker too: the service then names every missing field at once
        # (an empty ticket form lists account, subject and opened at, not the first).
        self.let_required_through(pickers_too=True)
        for field in self.fields.values():
            if isinstance(field, forms.DateTimeField):
                field.input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
        self._account_picker(user, account_query)
        if self.has_contact:
            self._contact_picker(user)
        self.init_custom_fields("default")

    def _selected(self, name):
        value = self.data.get(name) if self.is_bound else None
        if value in (None, ""):
            value = self.initial.get(name) or getattr(self.instance, f"{name}_id", None)
        if hasattr(value, "pk"):
            value = value.pk
        try:
            return int(value) if value not in (None, "") else None
        except (TypeError, ValueError):
            return None

    def _account_picker(self, user, query: str) -> None:
        field = self.fields["account"]
        # Validation looks the id up among the accounts the user may edit: a forged id for
        # someone else's account is "not one of the choices".
        accounts = selectors.editable_accounts(user)
        current = self.instance.account if self.instance.pk and self.instance.account_id else None
        if current is not None:
            # The record's own account stays selectable: a complaint's handler edits it
            # without owning the account, whose name its page shows anyway.
            accounts = accounts | Account.objects.filter(pk=current.pk)
        field.queryset = accounts
        field.empty_label = _("Choose an account")
        options, self.more_accounts = customer_selectors.account_options(
            user=user,
            selected=self._selected("account"),
            q=query,
            limit=ACCOUNT_OPTIONS,
            accounts=selectors.editable_accounts(user),
        )
        if current is not None and not query and all(a.pk != current.pk for a in options):
            options.insert(0, current)
        field.widget.choices = [("", field.empty_label), *[(a.pk, a.name) for a in options]]

    def _contact_picker(self, user) -> None:
        """The contacts of the chosen account (the list follows the account by htmx).

        Options and validation both come from the contacts of the accounts the user may
        record for: a forged ``?account=`` (or ``part=contact&account=``) naming someone
        else's account lists nothing, and a posted contact of such an account is "not one
        of the choices"."""
        field = self.fields["contact"]
        account_id = self._selected("account")
        allowed = Contact.objects.filter(account__in=selectors.editable_accounts(user))
        if self.instance.pk and self.instance.contact_id:
            # The record's own contact stays selectable (a handler may edit a complaint
            # of an account they do not own; the record shows its contact anyway).
            allowed = allowed | Contact.objects.filter(pk=self.instance.contact_id)
        field.queryset = allowed
        contacts = []
        if account_id:
            contacts = allowed.filter(account_id=account_id).order_by("name", "id")
        field.widget.choices = [("", "—"), *[(c.pk, c.name) for c in contacts]]


class ComplaintForm(AfterSalesForm):
    custom_entity = "complaint"

    class Meta:
        model = Complaint
        fields = [f for f in services.COMPLAINT_FIELDS if f not in services.FEED_FIELDS]
        widgets = {
            "raised_on": DateInput(),
            "resolved_on": DateInput(),
            "details": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        handler = self.fields["owner"]
        current = self.instance.owner_id if self.instance.pk else None
        handler.queryset = selectors.handler_options(user, current_id=current).order_by(
            "display_name", "username"
        )
        handler.label_from_instance = lambda u: u.label
        # Empty means "the account's owner" for a new complaint, "unchanged" for an edit.
        handler.required = False
        handler.empty_label = _("The account's owner")


class NpsForm(AfterSalesForm):
    custom_entity = "nps"

    class Meta:
        model = NpsResponse
        fields = [f for f in services.NPS_FIELDS if f not in services.FEED_FIELDS]
        widgets = {"responded_on": DateInput(), "comment": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["score"].widget.attrs.update({"min": 0, "max": 10, "inputmode": "numeric"})


class TicketForm(AfterSalesForm):
    custom_entity = "ticket"

    class Meta:
        model = ServiceTicket
        fields = [f for f in services.TICKET_FIELDS if f not in services.FEED_FIELDS]
        widgets = {
            "opened_at": DateTimeInput(),
            "first_response_at": DateTimeInput(),
            "resolved_at": DateTimeInput(),
            "details": forms.Textarea(attrs={"rows": 3}),
        }


class RenewalForm(AfterSalesForm):
    custom_entity = "renewal"
    has_contact = False

    class Meta:
        model = Renewal
        fields = [f for f in services.RENEWAL_FIELDS if f not in services.FEED_FIELDS]
        widgets = {"due_on": DateInput(), "closed_on": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Text with a decimal keypad: a number input drops "1,200" silently.
        self.fields["amount"].widget = forms.TextInput(
            attrs={"inputmode": "decimal", "autocomplete": "off", "placeholder": "0.00"}
        )
        self.fields["amount"].localize = False
