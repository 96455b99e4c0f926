"""Forms of the review pages: the compliance queue's filters and decision, the credibility
month and Settings · KPI review. They only parse; the services validate and write."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from salesops.core import choices
from salesops.core.forms import TablerFormMixin

from .models import FindingKind, FindingState
from .review_policy import COMPLIANCE_FIELDS, CREDIBILITY_FIELDS, current


class MonthField(forms.CharField):
    """A month as ``YYYY-MM`` (the value of an ``<input type="month">``)."""

    widget = forms.TextInput(attrs={"type": "month"})
    default_error_messages = {"invalid": _("Enter the month as YYYY-MM, e.g. 2026-03.")}

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return dt.datetime.strptime(value.strip(), "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class MonthForm(TablerFormMixin, forms.Form):
    month = MonthField(label=_("Month"), required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=100)


class FindingFilterForm(TablerFormMixin, forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    state = forms.ChoiceField(label=_("State"), required=False)
    owner = forms.TypedChoiceField(label=_("Owner"), required=False, coerce=int, empty_value=None)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("Any kind")), *FindingKind.choices]
        self.fields["state"].choices = [("", _("Any state")), *FindingState.choices]
        self.fields["owner"].choices = [("", _("Anyone")), *[(u.pk, u.label) for u in owners]]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date cannot be before the start date."))
        return data


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("confirm", _("Confirm")), ("dismiss", _("Dismiss"))]
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class ReviewPolicyForm(TablerFormMixin, forms.Form):
    """Every field of Settings · KPI review; :func:`review_policy.review_policy_update`
    checks ranges and the rules between fields."""

    watermark_text = forms.CharField(
        label=_("Quote watermark text"),
        max_length=200,
        required=False,
        help_text=_("Every quote file must contain this text."),
    )
    quote_evidence_types = forms.MultipleChoiceField(
        label=_("Evidence types that are quotes"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    approved_phrases = forms.CharField(
        label=_("Approved policy wording"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line; shown to reviewers as the wording to use instead."),
    )
    forbidden_phrases = forms.CharField(
        label=_("Forbidden wording"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One phrase per line."),
    )
    core_parameters = forms.CharField(
        label=_("Core technical parameters"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line; mentioning one to an account without an NDA is a finding."),
    )
    red_min_accuracy = forms.CharField(
        label=_("Red list: source accuracy at least (%)"), required=False
    )
    red_max_days = forms.CharField(label=_("Red list: level updated within (days)"), required=False)
    black_max_accuracy = forms.CharField(
        label=_("Black list: source accuracy below (%)"), required=False
    )
    black_min_days = forms.CharField(
        label=_("Black list: level updated after (days)"), required=False
    )
    credibility_min_leads = forms.CharField(
        label=_("Lists: at least this many leads in the month"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        options = choices.options(choices.EVIDENCE_TYPE)
        self.fields["quote_evidence_types"].choices = [(o.code, o.label()) for o in options]
        if not self.is_bound:
            self.initial = current()
        for name in CREDIBILITY_FIELDS:
            self.fields[name].widget.attrs["inputmode"] = "numeric"

    def compliance_fields(self) -> list:
        return [self[name] for name in COMPLIANCE_FIELDS]

    def credibility_fields(self) -> list:
        return [self[name] for name in CREDIBILITY_FIELDS]

    def service_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in COMPLIANCE_FIELDS + CREDIBILITY_FIELDS}
        data["quote_evidence_types"] = list(self.cleaned_data["quote_evidence_types"])
        return data

    def attach_errors(self, errors: dict) -> None:
        for key, messages in errors.items():
            self.add_error(key if key in self.fields else None, messages)
