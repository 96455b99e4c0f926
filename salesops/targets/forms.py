"""The plan pages' forms: a new plan, the calibration inputs, a scenario, the vote, an
adjustment request and a decision. The services check everything; their errors are shown
on these fields (core.forms.attach_service_errors)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from salesops.core import choices
from salesops.core.forms import TablerFormMixin
from salesops.org.models import Team

from .models import Measure


class PlanForm(TablerFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    fiscal_year = forms.IntegerField(label=_("Fiscal year"), min_value=2000, max_value=2100)
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.order_by("path"),
        help_text=_("The plan covers this team and every team below it."),
    )
    product_line = forms.ChoiceField(label=_("Product line"), required=False)
    measure = forms.ChoiceField(label=_("Measure"), choices=Measure.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product_line"].choices = [("", _("All product lines"))] + list(
            choices.choices(choices.PRODUCT_LINE)
        )


class CalibrationForm(TablerFormMixin, forms.Form):
    """The admin's inputs; the twelve seasonal indices are one field each."""

    bidding_index = forms.DecimalField(
        label=_("Bidding index"), min_value=0, max_digits=6, decimal_places=3
    )
    competitor_notes = forms.CharField(
        label=_("Competitor notes"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    top_n = forms.IntegerField(label=_("Top reps for capacity"), min_value=1, max_value=1000)
    headcount = forms.IntegerField(
        label=_("Headcount"),
        required=False,
        min_value=0,
        help_text=_("Leave empty for the plan's member count."),
    )
    utilisation = forms.DecimalField(
        label=_("Utilisation"), min_value=0, max_value=2, decimal_places=2
    )
    formula = forms.CharField(
        label=_("Pool formula"),
        max_length=500,
        help_text=_("Over historical, market and manpower."),
    )

    def __init__(self, *args, months=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.month_labels = list(months)
        for i in range(12):
            label = self.month_labels[i] if i < len(self.month_labels) else str(i + 1)
            self.fields[f"seasonal_{i}"] = forms.DecimalField(
                label=label, min_value=0, max_digits=6, decimal_places=3
            )

    def seasonal_fields(self):
        return [self[f"seasonal_{i}"] for i in range(12)]

    def inputs(self) -> dict:
        data = self.cleaned_data
        return {
            "seasonal_index": [data[f"seasonal_{i}"] for i in range(12)],
            "bidding_index": data["bidding_index"],
            "competitor_notes": data["competitor_notes"],
            "top_n": data["top_n"],
            "headcount": data["headcount"],
            "utilisation": data["utilisation"],
            "formula": data["formula"],
        }


class ScenarioForm(TablerFormMixin, forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=30)
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=100)
    name_en = forms.CharField(label=_("Name (English)"), max_length=100)
    formula = forms.CharField(
        label=_("Formula"),
        max_length=500,
        help_text=_("Over pool, pipeline, win_rate, cycle_days and chain_maturity."),
    )
    position = forms.IntegerField(label=_("Order"), min_value=0, max_value=1000, required=False)


class AdjustmentForm(TablerFormMixin, forms.Form):
    """One amount field per rep the user may adjust, prefilled with the target in force."""

    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, allocations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = list(allocations)
        for row in self.rows:
            self.fields[f"rep_{row.rep_id}"] = forms.DecimalField(
                label=str(row.rep),
                min_value=0,
                max_digits=16,
                decimal_places=2,
                initial=row.amount,
            )

    def rep_fields(self):
        return [(row, self[f"rep_{row.rep_id}"]) for row in self.rows]

    def changes(self) -> dict:
        return {
            str(row.rep_id): self.cleaned_data[f"rep_{row.rep_id}"]
            for row in self.rows
            if self.cleaned_data.get(f"rep_{row.rep_id}") is not None
            and self.cleaned_data[f"rep_{row.rep_id}"] != row.amount
        }


class DecisionForm(TablerFormMixin, forms.Form):
    note = forms.CharField(label=_("Note"), max_length=500, required=False)
