"""Forms of the target-health pages: the month of a snapshot taken by hand."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from salesops.core.forms import TablerFormMixin

from . import measures


class SnapshotForm(TablerFormMixin, forms.Form):
    """Take (or retake) the snapshot of one month of the plan's fiscal year."""

    month = forms.ChoiceField(label=_("Month"), required=False)

    def __init__(self, *args, plan, policy=None, **kwargs):
        super().__init__(*args, **kwargs)
        months = measures.fiscal_months(plan.fiscal_year, policy)
        self.fields["month"].choices = [("", _("This month"))] + [
            (m.isoformat(), m.strftime("%Y-%m")) for m in months
        ]

    def clean_month(self):
        import datetime as dt

        value = self.cleaned_data.get("month")
        return dt.date.fromisoformat(value) if value else None
