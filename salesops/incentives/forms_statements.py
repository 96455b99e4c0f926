"""Forms of the statement and finance pages. They only parse; ``adjustments.create`` and
``periods.approve`` validate and write."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from salesops.core.forms import TablerFormMixin
from salesops.org.models import Role


class AdjustmentForm(TablerFormMixin, forms.Form):
    rep_id = forms.TypedChoiceField(label=_("Rep"), coerce=int, empty_value=None)
    amount = forms.DecimalField(
        label=_("Amount (¥)"),
        max_digits=14,
        decimal_places=2,
        help_text=_("Positive adds to the rep's pay, negative deducts from it."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown on the rep's statement and in the payroll export."),
    )
    source_line_id = forms.IntegerField(
        label=_("Corrects line no."),
        required=False,
        min_value=1,
        help_text=_("Optional: the number of the ledger line this adjustment corrects."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        reps = (
            get_user_model()
            .objects.filter(is_active=True, role__in=(Role.REP, Role.MANAGER))
            .select_related("team")
            .order_by("display_name", "username")
        )
        self.fields["rep_id"].choices = [("", _("Choose a rep"))] + [
            (u.pk, f"{u.label} · {u.team.name}" if u.team_id else u.label) for u in reps
        ]
