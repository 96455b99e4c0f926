"""The manager's adjustment form on the decomposition page: a new amount per rep they may
change, and the reason. It only parses; :func:`decomposition.shares_adjust` validates
(the total must still equal the pool) and writes."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from salesops.core.forms import TablerFormMixin


class AdjustForm(TablerFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"data-testid": "adjust-reason"}),
        help_text=_("Required: the reps see it next to their target."),
    )

    def __init__(self, *args, rows=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = list(rows)
        for row in self.rows:
            self.fields[self.field_name(row)] = forms.DecimalField(
                label=row.rep.label,
                min_value=Decimal("0"),
                max_digits=16,
                decimal_places=2,
                initial=row.amount,
                widget=forms.NumberInput(
                    attrs={
                        "step": "0.01",
                        "class": "form-control text-end",
                        "data-adjust-amount": "1",
                        "data-original": str(row.amount),
                        "data-testid": f"adjust-amount-{row.rep_id}",
                    }
                ),
            )

    @staticmethod
    def field_name(row) -> str:
        return f"amount_{row.rep_id}"

    def bound_rows(self):
        """(allocation, bound amount field) pairs, for the table."""
        return [(row, self[self.field_name(row)]) for row in self.rows]

    def amounts(self) -> dict[int, Decimal]:
        return {
            row.rep_id: self.cleaned_data[self.field_name(row)]
            for row in self.rows
            if self.cleaned_data.get(self.field_name(row)) is not None
        }
