"""The "record a payment" form on a contract. It only parses what the browser sent;
``billing.payment_record`` validates and writes, as for the API and the finance feed."""

from __future__ import annotations

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from salesops.core import clock
from salesops.core.forms import DateInput, PageFormMixin, ServiceModelForm, TablerBoundField
from salesops.core.money import format_cny
from salesops.customization.formfields import CustomFieldsFormMixin
from salesops.org.models import Role

from .models import Instalment, OverContract, Payment


class PaymentForm(PageFormMixin, CustomFieldsFormMixin, ServiceModelForm):
    custom_entity = "payment"

    class Meta:
        model = Payment
        fields = ["amount", "received_on", "method", "instalment", "reference", "note"]
        widgets = {"received_on": DateInput()}

    def __init__(self, *args, contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.let_required_through(pickers_too=True)
        # Text with a decimal keypad: a number input drops "1,200" silently.
        self.fields["amount"].widget = forms.TextInput(
            attrs={"inputmode": "decimal", "autocomplete": "off", "placeholder": "0.00"}
        )
        self.fields["amount"].localize = False
        if not self.is_bound and not self.instance.pk:
            # Most payments are recorded the day the money arrives.
            self.initial.setdefault("received_on", clock.today())
        instalment = self.fields["instalment"]
        instalment.queryset = Instalment.objects.filter(contract=contract).order_by("sequence")
        instalment.label_from_instance = lambda i: (
            _("#%(n)s · due %(day)s · ¥%(amount)s")
            % {
                "n": i.sequence,
                "day": formats.date_format(i.due_on, "SHORT_DATE_FORMAT"),
                "amount": format_cny(i.amount, symbol=False),
            }
        )
        instalment.empty_label = _("None (not against one instalment)")
        self.init_custom_fields(None)  # the custom fields; payments have no form layout

    def service_data(self) -> dict:
        data = super().service_data()
        if not data.get("method"):
            data.pop("method", None)  # the model's default
        return data


class RevenuePolicyForm(PageFormMixin, forms.Form):
    """The revenue policy settings page (admins)."""

    bound_field_class = TablerBoundField

    billing_roles = forms.MultipleChoiceField(
        label=_("Roles that record payments and invoices"),
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    signed_contract_roles = forms.MultipleChoiceField(
        label=_("Roles that change a signed contract's amount, payment plan and clauses"),
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Reps still draft and edit unsigned contracts."),
    )
    payment_over_contract = forms.ChoiceField(
        label=_("A payment over the contract amount"), choices=OverContract.choices
    )

    def __init__(self, *args, policy, **kwargs):
        self.versioned_instance = policy
        kwargs.setdefault(
            "initial",
            {
                "billing_roles": policy.billing_roles,
                "signed_contract_roles": policy.signed_contract_roles,
                "payment_over_contract": policy.payment_over_contract,
            },
        )
        super().__init__(*args, **kwargs)

    def service_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != self.version_field}


class ContractDealForm(PageFormMixin, forms.Form):
    """Link a contract to the deal it closes: the contract account's deals the user sees.
    A deal id outside them (another account's, another rep's) is refused with the reason,
    as the API does (``services.deal_link_problem``)."""

    bound_field_class = TablerBoundField

    deal = forms.TypedChoiceField(
        label=_("Deal"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_(
            "The deal this contract closes; its clauses, first payment and implementation "
            "schedule then count in that deal's healthy-deal check."
        ),
    )

    def __init__(self, *args, contract, deals, **kwargs):
        self.versioned_instance = contract
        kwargs.setdefault("initial", {"deal": contract.deal_id})
        super().__init__(*args, **kwargs)
        field = self.fields["deal"]
        field.choices = [("", _("No deal"))] + [
            (d.pk, f"{d.name} · {d.stage.name} · {d.owner.label}") for d in deals
        ]
        # The choice is checked by the view against what the user may see, with a
        # message that says why; the browser's list is only the offer.
        field.valid_value = lambda value: True

    def service_data(self) -> dict:
        return {"deal": self.cleaned_data.get("deal")}
