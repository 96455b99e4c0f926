"""Forms of the lead pages.

Like the customer forms they only parse what the browser sent; the services validate,
normalise (phone numbers, credit codes), de-duplicate and write, and their errors are put
back on the fields by the views.
"""

from __future__ import annotations

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from salesops.core import choices
from salesops.core.forms import (
    PageFormMixin,
    ServiceModelForm,
    TablerFormMixin,
)
from salesops.customization.formfields import CustomFieldsFormMixin
from salesops.org import selectors as org_selectors
from salesops.org.models import Team

from .configuration import CHANNEL_FIELDS, RULE_FIELDS
from .models import Channel, Lead, LeadStatus, RoutingRule
from .receive import entry_channels, manual_channel
from .validation import EDITABLE_FIELDS, LEAD_LISTS

QUICK_FIELDS = ("contact_name", "phone", "company", "need")
MORE_FIELDS = (
    "email",
    "wechat",
    "address",
    "province",
    "city",
    "industry",
    "size_band",
    "product_line",
    "campaign",
)


def _relax_length(field: forms.CharField, length: int) -> None:
    """Let the service normalise the value (``+86 138 …``) and measure it afterwards."""
    field.max_length = length
    field.validators = [v for v in field.validators if not isinstance(v, MaxLengthValidator)]
    field.validators.append(MaxLengthValidator(length))
    field.widget.attrs["maxlength"] = str(length)


class _LeadFormBase(PageFormMixin, CustomFieldsFormMixin, ServiceModelForm):
    # Labels, widgets and parsing from the model; the service reports every missing or
    # bad field at once, so a required field is only marked.
    service_checks_required = True

    custom_entity = "lead"

    def _tune(self) -> None:
        phone = self.fields["phone"]
        _relax_length(phone, 32)
        phone.widget.input_type = "tel"  # the phone keypad on mobiles
        phone.widget.attrs.update({"autocomplete": "off", "inputmode": "tel"})
        self.fields["need"].widget = forms.Textarea(attrs={"rows": 3, "maxlength": 2000})
        if "credit_code" in self.fields:
            _relax_length(self.fields["credit_code"], 40)
            self.fields["credit_code"].widget.attrs.update(
                {"autocomplete": "off", "spellcheck": "false", "class": "text-uppercase"}
            )
        if "email" in self.fields:
            self.fields["email"].widget.attrs["inputmode"] = "email"
        choices.use_lists(self, LEAD_LISTS, self.instance)

    def service_data(self) -> dict:
        data = super().service_data()
        data.pop("required_fields", None)
        return data

    def _add_channel(self, current: Channel | None) -> None:
        """The source channel (L3) as a dropdown of the channels a person may pick,
        manual entry first and preselected; an edited lead keeps its own channel among
        the choices even when a machine fed it."""
        channels = list(entry_channels())
        if current is not None and current.pk not in {c.pk for c in channels}:
            channels.insert(0, current)
        self.fields["channel"] = forms.ChoiceField(
            label=capfirst(_("source channel")),
            choices=[(str(c.pk), c.name) for c in channels],
            required=False,
            help_text=_("Where this lead came from."),
        )
        self.fields["channel"].widget.attrs["data-testid"] = "lead-channel"
        self.initial["channel"] = str((current or manual_channel()).pk)


class QuickEntryForm(_LeadFormBase):
    """The four fields of quick entry plus the optional "more fields"."""

    class Meta:
        model = Lead
        fields = QUICK_FIELDS + MORE_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._tune()
        for name in QUICK_FIELDS:
            self.fields[name].widget.attrs["data-testid"] = f"quick-{name}"
        self._add_channel(None)
        # No layout: the four fields come first, the rest sits in the expander.
        self.init_custom_fields(None)

    @property
    def quick_fields(self):
        return [self[name] for name in (*QUICK_FIELDS, "channel")]

    @property
    def more_fields(self):
        return [self[name] for name in MORE_FIELDS] + self.custom_bound_fields

    @property
    def more_has_errors(self) -> bool:
        return any(f.errors for f in self.more_fields)


class LeadForm(_LeadFormBase):
    """Editing a lead: every editable field and the custom fields."""

    class Meta:
        model = Lead
        fields = EDITABLE_FIELDS

    def __init__(self, *args, layout: str = "default", **kwargs):
        super().__init__(*args, **kwargs)
        self._tune()
        self._add_channel(self.instance.channel if self.instance.channel_id else None)
        self.init_custom_fields(layout)


class StatusForm(TablerFormMixin, forms.Form):
    status = forms.ChoiceField(label=capfirst(_("status")), choices=LeadStatus.choices)
    invalid_reason = forms.ChoiceField(label=capfirst(_("reason invalid")), required=False)

    def __init__(self, *args, lead: Lead | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["invalid_reason"] = choices.ChoiceListField(
            choices.LEAD_INVALID_REASON,
            current=lead.invalid_reason if lead is not None else None,
            label=self.fields["invalid_reason"].label,
            required=False,
        )
        if lead is not None and not self.is_bound:
            self.initial.update({"status": lead.status, "invalid_reason": lead.invalid_reason})


class ReassignForm(TablerFormMixin, forms.Form):
    owner = forms.ModelChoiceField(
        label=capfirst(_("new owner")),
        queryset=None,
        required=False,
        empty_label=capfirst(_("Nobody – back to the pool")),
    )
    reason = forms.CharField(label=capfirst(_("reason")), max_length=500, required=False)
    override_cap = forms.BooleanField(
        label=_("Over the daily cap"),
        required=False,
        help_text=_(
            "Give the lead even if the rep reached their daily lead cap; the reason is recorded."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["owner"]
        # New owners: the users of the teams the manager manages (and their direct
        # reports), as ``lead_reassign`` checks; handing a lead outside them would give
        # it to someone whose work the manager cannot follow. Directors and admins: all.
        field.queryset = org_selectors.visible_users(user).order_by("display_name", "username")
        field.label_from_instance = lambda u: u.label
        self.fields["reason"].service_required = True


class ChannelForm(PageFormMixin, ServiceModelForm):
    # Labels, widgets and parsing from the model; the service reports every missing or
    # bad field at once, so a required field is only marked.
    service_checks_required = True

    class Meta:
        model = Channel
        fields = CHANNEL_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.order_by("path")


class RoutingRuleForm(PageFormMixin, ServiceModelForm):
    class Meta:
        model = RoutingRule
        fields = RULE_FIELDS
        widgets = {
            "condition": forms.Textarea(
                attrs={"rows": 3, "spellcheck": "false", "class": "font-monospace"}
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.order_by("path")
        self.fields["team"].required = False


class RoutingTestForm(TablerFormMixin, forms.Form):
    """A sample lead for "what would routing do with this?"."""

    company = forms.CharField(label=capfirst(_("company")), required=False, max_length=200)
    province = forms.CharField(label=capfirst(_("province")), required=False, max_length=30)
    city = forms.CharField(label=capfirst(_("city")), required=False, max_length=30)
    address = forms.CharField(label=capfirst(_("address")), required=False, max_length=255)
    industry = choices.ChoiceListField(
        choices.INDUSTRY, label=capfirst(_("industry")), required=False
    )
    size_band = choices.ChoiceListField(
        choices.COMPANY_SIZE, label=capfirst(_("company size")), required=False
    )
    product_line = forms.CharField(
        label=capfirst(_("product line")), required=False, max_length=100
    )
    campaign = forms.CharField(label=capfirst(_("campaign")), required=False, max_length=100)
    phone = forms.CharField(label=capfirst(_("phone")), required=False, max_length=32)

    def sample(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if v}
