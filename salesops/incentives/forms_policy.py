"""Forms of Settings · Incentives and of the mentor pairs. They only parse:
``plan_policy`` and ``mentors`` validate and write."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from salesops.core.forms import DateInput, TablerFormMixin
from salesops.customers.models import AccountLevel
from salesops.org.models import Role

from .forms_plans import ServiceErrorsMixin
from .models import IncentivePolicy, MentorPair, PaymentRelease

GROUPS = {
    "release": (
        _("Deferred release"),
        _(
            "A deal's bonus is paid in three tranches: when the contract is paid, after a "
            "quiet period without a major complaint, and at the renewal. They add up to 100 %."
        ),
        [
            "payment_percent",
            "quality_percent",
            "renewal_percent",
            "payment_release",
            "quality_months",
            "renewal_months",
            "renewal_grace_days",
        ],
    ),
    "coefficient": (
        _("Customer-health coefficient"),
        _(
            "Bonus = base × coefficient. The formula's result is kept between the minimum and "
            "the maximum."
        ),
        ["coefficient_min", "coefficient_max", "coefficient_formula", "response_target_hours"],
    ),
    "cs": (
        _("Customer-success points"),
        _(
            "Customer-success hours on the rep's accounts earn points; a month with fewer "
            "points than the threshold caps the coefficient."
        ),
        ["cs_hours_per_point", "cs_max_points", "cs_cap_below", "cs_cap"],
    ),
    "mentor": (
        _("Mentor reward"),
        _("A mentor earns a share of the mentee's first deal bonus and of the next ones."),
        ["mentor_first_percent", "mentor_next_percent", "mentor_next_count", "mentor_deducts"],
    ),
    "breakthrough": (
        _("Breakthrough award"),
        _("The first contract with an account of these levels earns the breakthrough award."),
        ["breakthrough_levels"],
    ),
}
DECIMALS = {
    "payment_percent": 2,
    "quality_percent": 2,
    "renewal_percent": 2,
    "coefficient_min": 3,
    "coefficient_max": 3,
    "response_target_hours": 2,
    "cs_hours_per_point": 2,
    "cs_cap": 3,
    "mentor_first_percent": 2,
    "mentor_next_percent": 2,
}
INTEGERS = (
    "quality_months",
    "renewal_months",
    "renewal_grace_days",
    "cs_max_points",
    "cs_cap_below",
    "mentor_next_count",
)


def _label(name: str):
    return IncentivePolicy._meta.get_field(name).verbose_name


def _help(name: str):
    return IncentivePolicy._meta.get_field(name).help_text


class IncentivePolicyForm(ServiceErrorsMixin, TablerFormMixin, forms.Form):
    """Every field of the policy; the service checks ranges and sums (the form only parses
    numbers, so all problems come back at once, by field)."""

    def __init__(self, *args, policy: IncentivePolicy, **kwargs):
        initial = {name: getattr(policy, name) for group in GROUPS.values() for name in group[2]}
        super().__init__(*args, initial=initial, **kwargs)
        for name, places in DECIMALS.items():
            self.fields[name] = forms.DecimalField(
                label=_label(name), help_text=_help(name), max_digits=12, decimal_places=places
            )
        for name in INTEGERS:
            self.fields[name] = forms.IntegerField(label=_label(name), help_text=_help(name))
        self.fields["payment_release"] = forms.ChoiceField(
            label=_label("payment_release"), choices=PaymentRelease.choices
        )
        self.fields["coefficient_formula"] = forms.CharField(
            label=_label("coefficient_formula"),
            help_text=_help("coefficient_formula"),
            max_length=1000,
            widget=forms.Textarea(attrs={"rows": 3, "class": "font-monospace"}),
        )
        self.fields["mentor_deducts"] = forms.BooleanField(
            label=_label("mentor_deducts"), required=False
        )
        self.fields["breakthrough_levels"] = forms.MultipleChoiceField(
            label=_label("breakthrough_levels"),
            help_text=_help("breakthrough_levels"),
            choices=AccountLevel.choices,
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )
        self.fields["coefficient_min"].help_text = _("The lowest the coefficient can be, e.g. 0.7.")
        self.fields["coefficient_max"].help_text = _(
            "The highest the coefficient can be, e.g. 1.3."
        )
        self.fields["cs_cap"].help_text = _("Within the coefficient's minimum and maximum.")

    def groups(self) -> list[dict]:
        return [
            {"key": key, "title": title, "help": text, "fields": [self[name] for name in names]}
            for key, (title, text, names) in GROUPS.items()
        ]

    def attach_errors(self, errors: dict) -> None:
        errors = dict(errors)
        if "tranche_percents" in errors:  # shown on the three tranche fields' group
            self.add_error(None, errors.pop("tranche_percents"))
        super().attach_errors(errors)

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["breakthrough_levels"] = list(data.get("breakthrough_levels") or [])
        return data


def _people():
    return (
        get_user_model()
        .objects.filter(is_active=True, role__in=(Role.REP, Role.MANAGER))
        .order_by("display_name", "pk")
    )


class MentorPairForm(ServiceErrorsMixin, TablerFormMixin, forms.Form):
    mentor = forms.ModelChoiceField(label=_("Mentor"), queryset=_people())
    mentee = forms.ModelChoiceField(label=_("Mentee"), queryset=_people())
    starts_on = forms.DateField(label=_("From"), widget=DateInput())
    ends_on = forms.DateField(
        label=_("Until"),
        widget=DateInput(),
        required=False,
        help_text=_("Empty: until further notice."),
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, pair: MentorPair | None = None, **kwargs):
        if pair is not None:
            kwargs.setdefault(
                "initial",
                {
                    "mentor": pair.mentor_id,
                    "mentee": pair.mentee_id,
                    "starts_on": pair.starts_on,
                    "ends_on": pair.ends_on,
                    "note": pair.note,
                },
            )
        super().__init__(*args, **kwargs)
        # Querysets evaluated per form (a user deactivated since start-up is not offered).
        self.fields["mentor"].queryset = _people()
        self.fields["mentee"].queryset = _people()
        if pair is not None:
            # A pair of someone since deactivated still shows (and saves) its people.
            User = get_user_model()
            keep = User.objects.filter(pk__in=(pair.mentor_id, pair.mentee_id))
            self.fields["mentor"].queryset = (_people() | keep).distinct()
            self.fields["mentee"].queryset = (_people() | keep).distinct()

    def service_data(self) -> dict:
        return dict(self.cleaned_data)
