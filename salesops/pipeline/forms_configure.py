"""The forms of Settings · Pipelines. They only parse what the browser sent;
:mod:`.configuration` validates and writes (the same checks for every caller)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from salesops.core import choices
from salesops.core.forms import PageFormMixin, TablerFormMixin
from salesops.org.models import Team

from . import configuration, criteria
from .criteria import FIELD_LABELS
from .models import REQUIRABLE_FIELDS, Pipeline, PipelinePolicy, Stage

COLOUR_LABELS = {
    "blue": _("Blue"),
    "azure": _("Azure"),
    "indigo": _("Indigo"),
    "purple": _("Purple"),
    "pink": _("Pink"),
    "red": _("Red"),
    "orange": _("Orange"),
    "yellow": _("Yellow"),
    "lime": _("Lime"),
    "green": _("Green"),
    "teal": _("Teal"),
    "cyan": _("Cyan"),
}
ACTIVITY_PREFIX = "activity_"


class PipelineForm(PageFormMixin, TablerFormMixin, forms.Form):
    code = forms.SlugField(
        label=_("Code"),
        max_length=50,
        help_text=_("Letters, digits, - and _; rules and reports use it and it does not change."),
    )
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=100)
    name_en = forms.CharField(label=_("Name (English)"), max_length=100)
    product_line = forms.ChoiceField(label=_("Product line"), required=False)
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.order_by("path"), required=False
    )
    is_default = forms.BooleanField(label=_("Default pipeline"), required=False)
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        help_text=_("An active pipeline has 5 to 7 open stages; new deals may go into it."),
    )

    def __init__(self, *args, pipeline: Pipeline | None = None, **kwargs):
        self.versioned_instance = pipeline
        if pipeline is not None:
            kwargs.setdefault(
                "initial",
                {
                    "code": pipeline.code,
                    "name_zh": pipeline.name_zh,
                    "name_en": pipeline.name_en,
                    "product_line": pipeline.product_line,
                    "team": pipeline.team_id,
                    "is_default": pipeline.is_default,
                    "is_active": pipeline.is_active,
                },
            )
        super().__init__(*args, **kwargs)
        current = pipeline.product_line if pipeline is not None else None
        self.fields["product_line"].choices = choices.choices(
            choices.PRODUCT_LINE, current=current, blank=True
        )
        if pipeline is not None:
            self.fields["code"].disabled = True


class StageForm(PageFormMixin, TablerFormMixin, forms.Form):
    code = forms.SlugField(
        label=_("Code"),
        max_length=50,
        help_text=_(
            "Letters, digits, - and _; rules use it (move to stage) and it does not change."
        ),
    )
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=100)
    name_en = forms.CharField(label=_("Name (English)"), max_length=100)
    probability = forms.IntegerField(
        label=_("Probability (%)"), help_text=_("0 to 100; weights the forecast.")
    )
    colour = forms.ChoiceField(
        label=_("Colour"), choices=[(c, COLOUR_LABELS[c]) for c in configuration.COLOURS]
    )
    stall_days = forms.IntegerField(
        label=_("Stall alert after (working days)"),
        help_text=_(
            "1 to 365 Chinese working days in the stage; then the owner and the manager "
            "are alerted with the suggested next actions."
        ),
    )
    required_fields = forms.MultipleChoiceField(
        label=_("Required fields"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Deal fields filled before the deal leaves the stage forward."),
    )
    required_evidence = forms.MultipleChoiceField(
        label=_("Required evidence"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Evidence types uploaded before the deal leaves the stage forward."),
    )
    needs_approval = forms.BooleanField(label=_("Manager approves the move"), required=False)
    next_actions = forms.CharField(
        label=_("Suggested next actions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line; sent with the stall alert."),
    )

    def __init__(self, *args, stage: Stage | None = None, **kwargs):
        self.versioned_instance = stage
        self.stage = stage
        if stage is not None:
            initial = {
                name: getattr(stage, name)
                for name in configuration.STAGE_FIELDS
                if name != "required_activities"
            }
            for item in stage.required_activities or ():
                if isinstance(item, dict) and item.get("kind"):
                    initial[ACTIVITY_PREFIX + item["kind"]] = item.get("count", 1)
            kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.fields["required_fields"].choices = [
            (name, FIELD_LABELS[name]()) for name in REQUIRABLE_FIELDS
        ]
        current = list(stage.required_evidence or ()) if stage is not None else []
        options = choices.choices(choices.EVIDENCE_TYPE)
        known = {code for code, _label in options}
        options += [(code, code) for code in current if code not in known]
        self.fields["required_evidence"].choices = options
        self.activity_fields = []
        for kind, label in criteria.activity_kinds():
            name = ACTIVITY_PREFIX + kind
            self.fields[name] = forms.IntegerField(
                label=label, required=False, min_value=0, max_value=20
            )
            self.activity_fields.append(name)
        if stage is not None:
            self.fields["code"].disabled = True
            if not stage.is_open:
                for name in list(self.fields):
                    if name not in (*configuration.TERMINAL_FIELDS, self.version_field):
                        del self.fields[name]
                self.activity_fields = []

    def criteria_fields(self):
        return [self[name] for name in self.activity_fields]

    def service_data(self) -> dict:
        data = super().service_data()
        activities = []
        for name in self.activity_fields:
            count = data.pop(name, None)
            if count:
                activities.append({"kind": name[len(ACTIVITY_PREFIX) :], "count": count})
        if self.stage is None or self.stage.is_open:
            data["required_activities"] = activities
        if self.stage is not None:
            data.pop("code", None)
        return data


class PolicyForm(PageFormMixin, TablerFormMixin, forms.Form):
    evidence_max_mb = forms.IntegerField(
        label=_("Largest evidence file (MB)"), help_text=_("1 to 200.")
    )
    evidence_extensions = forms.CharField(
        label=_("Evidence file types"),
        max_length=200,
        help_text=_(
            "Comma-separated extensions, e.g. pdf,docx,jpg. Programs and web pages are "
            "always refused."
        ),
    )
    health_min_roles = forms.IntegerField(
        label=_("Decision roles to cover"),
        help_text=_("A healthy deal has contacts in at least this many decision roles."),
    )
    health_min_first_payment = forms.IntegerField(
        label=_("First payment at least (% of the contract)"), help_text=_("0 to 100.")
    )
    health_payment_delay_days = forms.IntegerField(
        label=_("First payment late after (days)"),
        help_text=_("A first payment later than this after signing is a risk signal."),
    )

    def __init__(self, *args, policy: PipelinePolicy, **kwargs):
        self.versioned_instance = policy
        kwargs.setdefault(
            "initial", {name: getattr(policy, name) for name in configuration.POLICY_FIELDS}
        )
        super().__init__(*args, **kwargs)
