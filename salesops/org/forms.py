from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from salesops.core import orgsettings
from salesops.core.forms import PageFormMixin, TablerBoundField
from salesops.core.models import OrgSettings


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"), max_length=100, help_text=_("For example: ERP sync, mobile app.")
    )


class TimeInput(forms.TimeInput):
    """A browser time picker (``<input type="time">``)."""

    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


DAYS_HELP = _(
    "One day per line: the date as YYYY-MM-DD, a space, then a note, e.g. 2027-01-01 元旦."
)


class OrgSettingsForm(PageFormMixin, forms.Form):
    """Settings · Organisation (admins): the policy values, the extra holidays and
    make-up workdays. The services check the combinations (core.orgsettings)."""

    bound_field_class = TablerBoundField

    SECTIONS = (
        ("routing", _("Lead routing"), ("default_daily_lead_cap",)),
        (
            "working-time",
            _("Working time"),
            (
                "work_start",
                "work_end",
                "lunch_start",
                "lunch_end",
                "extra_holidays",
                "extra_workdays",
            ),
        ),
        ("dedup", _("De-duplication"), ("dedup_name_certain", "dedup_name_review")),
        ("check-ins", _("Check-ins"), ("effective_touch_seconds", "checkin_note_max")),
        ("reports", _("Reports"), ("dwell_top_n",)),
    )

    extra_holidays = forms.CharField(
        label=_("Extra holidays"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=DAYS_HELP,
    )
    extra_workdays = forms.CharField(
        label=_("Extra make-up workdays"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=DAYS_HELP,
    )

    def __init__(self, *args, stored, days_initial: dict, **kwargs):
        self.versioned_instance = stored
        initial = {name: getattr(stored, name) for name in orgsettings.POLICY_FIELDS}
        initial.update(days_initial)
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        model_fields = forms.fields_for_model(OrgSettings, fields=orgsettings.POLICY_FIELDS)
        for name, field in model_fields.items():
            if isinstance(field, forms.TimeField):
                field.widget = TimeInput()
            self.fields[name] = field
        self.order_fields([name for _key, _title, names in self.SECTIONS for name in names])

    def sections(self):
        for key, title, names in self.SECTIONS:
            yield key, title, [self[name] for name in names]

    def clean(self):
        data = super().clean()
        for name in ("extra_holidays", "extra_workdays"):
            try:
                data[name + "_days"] = orgsettings.parse_days(data.get(name) or "", field=name)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    self.add_error(field, errors)
        return data

    def policy_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in orgsettings.POLICY_FIELDS}


class ChoiceRowForm(forms.Form):
    """One option of a choice list on its edit page."""

    code = forms.CharField(label=_("Code"), max_length=30, required=False)
    label_en = forms.CharField(label=_("English label"), max_length=100, required=False)
    label_zh = forms.CharField(label=_("Chinese label"), max_length=100, required=False)
    order = forms.IntegerField(label=_("Order"), min_value=0, max_value=32000, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False)

    def __init__(self, *args, existing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.existing = existing
        if existing:
            # A stored code is what records keep: rename its labels, never the code.
            self.fields["code"].widget.attrs["readonly"] = True
        for field in self.fields.values():
            css = "form-check-input" if isinstance(field, forms.BooleanField) else "form-control"
            field.widget.attrs["class"] = css


ChoiceRowFormSet = forms.formset_factory(ChoiceRowForm, extra=3)
