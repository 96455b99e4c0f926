"""The check-in form and the result-tag form. They parse; ``services`` validates and
writes, so the page, the API and the shell refuse the same things."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from salesops.core import orgsettings
from salesops.core.forms import PageFormMixin, TablerFormMixin
from salesops.customization.formfields import CustomFieldsFormMixin

from . import selectors
from .models import Activity, ActivityKind, DurationSource, ResultTag


class CheckInForm(CustomFieldsFormMixin, PageFormMixin, TablerFormMixin, forms.Form):
    """One screen: what kind of contact, how long, which result, a short note, and the
    activity's custom fields. With ``activity`` (an open one) it finishes that activity:
    its kind is already known."""

    custom_entity = "activity"

    kind = forms.ChoiceField(
        label=_("Type"), choices=ActivityKind.choices, initial=ActivityKind.CALL
    )
    minutes = forms.IntegerField(label=_("Minutes"), min_value=0, max_value=24 * 60, required=False)
    seconds = forms.IntegerField(label=_("Seconds"), min_value=0, max_value=59 * 60, required=False)
    # Set by the page's call timer (checkin.js): "timer" when stopping it filled the
    # duration, "typed" once a person edits the numbers.
    duration_source = forms.ChoiceField(
        choices=[("", ""), (DurationSource.TIMER, "timer"), (DurationSource.TYPED, "typed")],
        required=False,
        widget=forms.HiddenInput,
    )
    tag = forms.ChoiceField(label=_("Result"), required=False)
    # The deal the activity worked on (A1): one of the account's deals the user may see.
    deal = forms.TypedChoiceField(label=_("Deal"), required=False, coerce=int, empty_value=None)
    # No max_length here: the service reports an over-long note with its own message,
    # the same on every channel. The input itself stops at the
    # organisation's note length.
    note = forms.CharField(label=_("Note"), required=False)

    def __init__(self, *args, language: str | None = None, activity=None, deals=(), **kwargs):
        self.instance = activity if activity is not None else Activity()
        super().__init__(*args, **kwargs)
        if activity is not None:
            del self.fields["kind"]
        self.deals = {deal.pk: deal for deal in deals}
        if self.deals:
            self.fields["deal"].choices = [("", _("No deal"))] + [
                (deal.pk, deal_label(deal)) for deal in self.deals.values()
            ]
        else:
            del self.fields["deal"]
        self.tags = list(selectors.active_tags())
        self.fields["tag"].choices = [(t.code, selectors.tag_label(t, language)) for t in self.tags]
        self.fields["tag"].service_required = True
        self.fields["note"].widget.attrs.update(
            {
                "maxlength": orgsettings.current().checkin_note_max,
                "placeholder": _("e.g. wants a quote by Friday"),
            }
        )
        for name in ("minutes", "seconds"):
            self.fields[name].widget.attrs.update({"inputmode": "numeric", "placeholder": "0"})
        self.init_custom_fields(None)  # the screen is fixed; no form layouts here

    missing_tag_message = _("Pick a result to finish the check-in.")

    def chosen_deal(self):
        """The picked deal (one of those offered), or None."""
        if "deal" not in self.fields:
            return None
        return self.deals.get(self.cleaned_data.get("deal"))

    def duration_seconds(self) -> int | None:
        """The duration entered, or None when both boxes were left empty."""
        data = self.cleaned_data
        if data.get("minutes") is None and data.get("seconds") is None:
            return None
        return (data.get("minutes") or 0) * 60 + (data.get("seconds") or 0)


def deal_label(deal) -> str:
    label = f"{deal.name} · {deal.stage.name}"
    if not deal.is_open:
        label += f" ({deal.get_status_display()})"
    return label


class ResultTagForm(PageFormMixin, TablerFormMixin, forms.ModelForm):
    """Add or change one check-in result; the code is fixed once created."""

    class Meta:
        model = ResultTag
        fields = ("code", "label_zh", "label_en", "order", "counts_as_contact", "is_active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True
        self.fields["order"].required = False
        for name in ("label_zh", "label_en"):
            self.fields[name].service_required = True

    def _post_clean(self):
        pass  # the service validates everything and reports all problems at once

    def service_data(self) -> dict:
        data = super().service_data()
        if self.instance.pk:
            data.pop("code", None)
        return data
