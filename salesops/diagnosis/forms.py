"""Settings · Diagnosis: the form only parses; ``services.policy_save`` checks and names
every bad field."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from salesops.core.forms import TablerFormMixin

from . import checks
from .models import POLICY_LIMITS

WHOLE_LABELS = {
    "window_days": _("Look-back window (days)"),
    "sleeping_hours": _("A lead sleeps after (hours without a touch)"),
    "process_min": _("KPI process share at least (%)"),
    "process_max": _("KPI process share at most (%)"),
    "tranche_months": _("Forfeited tranches: months looked back"),
}


class PolicyForm(TablerFormMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for check in checks.CHECKS:
            low, high = check.bounds
            direction = _("at least") if check.higher_is_better else _("at most")
            self.fields[f"{check.code}_green"] = forms.CharField(
                label=_("%(check)s: healthy when %(direction)s")
                % {"check": check.title, "direction": direction},
                max_length=20,
                help_text=_("From %(low)s to %(high)s.") % {"low": low, "high": high},
            )
            self.fields[f"{check.code}_amber"] = forms.CharField(
                label=_("%(check)s: amber down to") % {"check": check.title}
                if check.higher_is_better
                else _("%(check)s: amber up to") % {"check": check.title},
                max_length=20,
                help_text=_("Beyond it the light is red."),
            )
        for name, (low, high) in POLICY_LIMITS.items():
            self.fields[name] = forms.CharField(
                label=WHOLE_LABELS[name],
                max_length=10,
                help_text=_("A whole number from %(low)d to %(high)d.")
                % {"low": low, "high": high},
            )
        self.fields["weekly_run"] = forms.BooleanField(
            label=_("Run the diagnosis every Monday"), required=False
        )

    def threshold_rows(self):
        return [
            (check, self[f"{check.code}_green"], self[f"{check.code}_amber"])
            for check in checks.CHECKS
        ]

    def general_fields(self):
        return [self[name] for name in (*POLICY_LIMITS, "weekly_run")]
