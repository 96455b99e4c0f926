"""The survey's answer form (the page); the service validates again and writes."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Reachability
from .survey import ESTIMATE_MAX, Priority


class SurveyAnswerForm(forms.Form):
    """Radios keep the toolkit's check classes (the Tabler bound field would give them
    ``form-control``)."""

    estimate = forms.DecimalField(
        label=_("Your estimate of your team's target for the year (yuan)"),
        min_value=Decimal("0"),
        max_value=ESTIMATE_MAX,
        max_digits=16,
        decimal_places=2,
        help_text=_("The amount you think your team will (and should) reach."),
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.01", "min": "0"}),
    )
    reachability = forms.TypedChoiceField(
        label=_("How reachable is the target?"),
        choices=Reachability.choices,
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    priority = forms.ChoiceField(
        label=_("The top priority to reach it"),
        choices=Priority.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
