"""The daily report form: four big text boxes and the day (today or the previous working
day). The service checks the limits and says what is wrong; the form only carries them."""

from __future__ import annotations

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from salesops.core.forms import TablerFormMixin

from .models import DAILY_REPORT_TEXT_MAX


def _area(rows: int, placeholder) -> forms.Textarea:
    return forms.Textarea(
        attrs={
            "rows": rows,
            "class": "form-control form-control-lg",
            "placeholder": placeholder,
            "data-maxlength": DAILY_REPORT_TEXT_MAX,
        }
    )


class DailyReportForm(TablerFormMixin, forms.Form):
    day = forms.ChoiceField(label=_("Day"))
    done = forms.CharField(
        label=_("What was done"),
        required=False,
        strip=False,
        widget=_area(6, _("Prefilled from your activities today: edit as you like.")),
    )
    plans = forms.CharField(
        label=_("Plans"),
        required=False,
        strip=False,
        widget=_area(3, _("Tomorrow: who you will call or visit, what you will send.")),
    )
    help_needed = forms.CharField(
        label=_("Help needed"),
        required=False,
        strip=False,
        widget=_area(2, _("Optional: what your manager or colleagues can do for you.")),
    )
    forecast_changes = forms.CharField(
        label=_("Forecast changes"),
        required=False,
        strip=False,
        widget=_area(
            2, _("Optional: a deal's new amount or close date, e.g. “ACME: ¥80,000, 12-20”.")
        ),
    )

    def __init__(self, *args, days=(), **kwargs):
        super().__init__(*args, **kwargs)
        labels = [_("Today"), _("Previous working day")]
        self.fields["day"].choices = [
            (day.isoformat(), f"{label} · {date_format(day, 'SHORT_DATE_FORMAT')}")
            for label, day in zip(labels, days, strict=False)
        ]
