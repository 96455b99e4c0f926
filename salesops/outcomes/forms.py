"""Settings · Outcomes: the go-live date, the completeness lists, the placeholder list and
the numbers of the definitions. Lists are typed one value per line (or comma-separated)."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from . import quality
from .models import OutcomePolicy
from .services import LIMITS

_SPLIT = re.compile(r"[\n,，;；]+")


def split(text: str) -> list[str]:
    return [part.strip() for part in _SPLIT.split(text or "") if part.strip()]


LIST_LABELS = {
    ("lead", "required"): _("Leads: required fields"),
    ("lead", "recommended"): _("Leads: recommended fields"),
    ("account", "required"): _("Accounts: required fields"),
    ("account", "recommended"): _("Accounts: recommended fields"),
    ("contact", "required"): _("Contacts: required fields"),
    ("contact", "recommended"): _("Contacts: recommended fields"),
}


class PolicyForm(forms.Form):
    go_live_on = forms.DateField(
        label=_("Go-live date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
        help_text=_("The day SalesOps went live; the board's trends start here."),
    )
    placeholders = forms.CharField(
        label=_("Placeholder values"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        help_text=_(
            "Values that fill a field without saying anything, one per line or comma-separated."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for (entity, which), label in LIST_LABELS.items():
            names = ", ".join(quality.field_names(entity))
            self.fields[f"{entity}_{which}"] = forms.CharField(
                label=label,
                required=False,
                widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
                help_text=_("Field names, comma-separated. Available: %(names)s")
                % {"names": names},
            )
        for name in LIMITS:
            model_field = OutcomePolicy._meta.get_field(name)
            self.fields[name] = forms.IntegerField(
                label=model_field.verbose_name,
                help_text=model_field.help_text,
                widget=forms.NumberInput(attrs={"class": "form-control"}),
                error_messages={"invalid": _("Enter a whole number.")},
            )

    @staticmethod
    def initial_for(policy: OutcomePolicy) -> dict:
        initial = {
            "go_live_on": policy.go_live_on,
            "placeholders": "\n".join(policy.placeholders or []),
        }
        lists = policy.completeness_fields or {}
        for entity, which in LIST_LABELS:
            initial[f"{entity}_{which}"] = ", ".join((lists.get(entity) or {}).get(which, []))
        for name in LIMITS:
            initial[name] = getattr(policy, name)
        return initial

    def service_data(self) -> dict:
        data = self.cleaned_data
        lists: dict = {}
        for entity, which in LIST_LABELS:
            lists.setdefault(entity, {})[which] = split(data.get(f"{entity}_{which}", ""))
        return {
            "go_live_on": data.get("go_live_on"),
            "placeholders": split(data.get("placeholders", "")),
            "completeness_fields": lists,
            **{name: data.get(name) for name in LIMITS},
        }
