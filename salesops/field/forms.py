"""Settings · Offline field app: the form only parses; ``services.policy_save`` checks."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from salesops.core.forms import TablerFormMixin

from .models import POLICY_LIMITS


class PolicyForm(TablerFormMixin, forms.Form):
    max_leads = forms.IntegerField(
        label=gettext_lazy("Most leads kept offline per rep"),
        min_value=POLICY_LIMITS["max_leads"][0],
        max_value=POLICY_LIMITS["max_leads"][1],
        help_text=gettext_lazy("The rep's open leads, most recently progressed first."),
    )
    max_accounts = forms.IntegerField(
        label=gettext_lazy("Most accounts kept offline per rep"),
        min_value=POLICY_LIMITS["max_accounts"][0],
        max_value=POLICY_LIMITS["max_accounts"][1],
        help_text=gettext_lazy("With their contacts."),
    )
    max_batch = forms.IntegerField(
        label=gettext_lazy("Most outbox items per sync request"),
        min_value=POLICY_LIMITS["max_batch"][0],
        max_value=POLICY_LIMITS["max_batch"][1],
        help_text=gettext_lazy("The app sends a longer outbox in several requests."),
    )
