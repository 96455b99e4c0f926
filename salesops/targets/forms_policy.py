"""Settings · Targets form: every :class:`TargetPolicy` field; the quadrants as four rows of
labels and weight, the key-account levels picked from the account-level list. It only
parses: :func:`salesops.targets.policy.policy_update` validates and writes."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from salesops.core import choices
from salesops.core.forms import TablerFormMixin

from .models import Quadrant, TargetPolicy
from .policy import key_account_levels, quadrant_rows

FIELDS = [
    "fiscal_year_start_month",
    "default_measure",
    "pool_formula",
    "manpower_top_n",
    "manpower_utilisation",
    "matrix_months",
    "default_quadrant",
    "coverage_red",
    "coverage_amber",
    "snapshot_workday",
    "award_coverage",
    "award_months",
    "award_floor",
    "award_percent",
    "peers_see_targets",
    "survey_min_group",
]
GROUPS = {
    "calibration": [
        "fiscal_year_start_month",
        "default_measure",
        "pool_formula",
        "manpower_top_n",
        "manpower_utilisation",
    ],
    "matrix": ["key_account_levels", "matrix_months", "default_quadrant"],
    "health": [
        "coverage_red",
        "coverage_amber",
        "snapshot_workday",
        "award_coverage",
        "award_months",
        "award_floor",
        "award_percent",
    ],
    "visibility": ["peers_see_targets", "survey_min_group"],
}
QUADRANT_KEYS = ("label_zh", "label_en", "weight")


def quadrant_field(code: str, key: str) -> str:
    return f"q_{code}_{key}"


class PolicyForm(TablerFormMixin, forms.ModelForm):
    """The model's fields parse their own types; the service checks ranges and the rules
    between fields (the model form's own validation is skipped: one set of rules)."""

    key_account_levels = forms.MultipleChoiceField(
        label=_("Key-account levels"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
        help_text=_("Account levels whose deals count for the key-account win rate (T3)."),
    )

    class Meta:
        model = TargetPolicy
        fields = FIELDS

    def __init__(self, *args, instance: TargetPolicy, **kwargs):
        super().__init__(*args, instance=instance, **kwargs)
        current = key_account_levels(instance)
        options = choices.options(choices.ACCOUNT_LEVEL)
        self.fields["key_account_levels"].choices = [
            (o.code, o.label()) for o in options if o.is_active or o.code in current
        ]
        self.initial.setdefault("key_account_levels", current)
        rows = quadrant_rows(instance)
        labels = {
            "label_zh": _("Label (zh-Hans)"),
            "label_en": _("Label (English)"),
            "weight": _("Share weight"),
        }
        for code, _name in Quadrant.choices:
            for key in QUADRANT_KEYS:
                name = quadrant_field(code, key)
                if key == "weight":
                    # No bounds here: the service reports them with the other rules.
                    field = forms.DecimalField(label=labels[key], max_digits=8, decimal_places=4)
                else:
                    field = forms.CharField(label=labels[key], max_length=100)
                self.fields[name] = field
                self.initial.setdefault(name, rows[code][key])
        self.fields["pool_formula"].widget = forms.TextInput()

    def _post_clean(self):
        pass  # the service validates the whole policy

    def quadrant_rows(self) -> list[dict]:
        """Per quadrant: its name and the bound fields of its row (for the template)."""
        return [
            {
                "code": code,
                "name": name,
                "fields": [self[quadrant_field(code, key)] for key in QUADRANT_KEYS],
            }
            for code, name in Quadrant.choices
        ]

    def group(self, name: str) -> list:
        return [self[field] for field in GROUPS[name]]

    def service_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in FIELDS}
        data["key_account_levels"] = list(self.cleaned_data["key_account_levels"])
        data["quadrants"] = {
            code: {key: self.cleaned_data[quadrant_field(code, key)] for key in QUADRANT_KEYS}
            for code in Quadrant.values
        }
        return data

    def attach_errors(self, errors: dict) -> None:
        """A service error on its field; ``quadrants.<code>.<key>`` on that row's input."""
        for key, messages in errors.items():
            parts = key.split(".")
            if len(parts) == 3 and parts[0] == "quadrants":
                name = quadrant_field(parts[1], parts[2])
                if name in self.fields:
                    self.add_error(name, messages)
                    continue
            if key in self.fields:
                self.add_error(key, messages)
            else:
                self.add_error(None, messages)
