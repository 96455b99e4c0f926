"""Forms of the growth pages (K6–K8). They only parse; the services validate and write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from salesops.core.forms import TablerFormMixin

from . import growth_policy, points
from .models import GrowthPolicy, PointKind

EXTRA_ROWS = 2


class VoiceAnswerForm(forms.Form):
    actions = forms.MultipleChoiceField(
        label=_("The 3 service actions you valued most"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    comment = forms.CharField(
        label=_("Anything else you would like to tell us (optional)"),
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        required=False,
        max_length=1000,
    )

    def __init__(self, *args, policy: GrowthPolicy, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actions"].choices = [
            (row["code"], growth_policy.label(row)) for row in growth_policy.service_actions(policy)
        ]

    def clean_actions(self):
        return list(self.data.getlist("actions")) if hasattr(self.data, "getlist") else []


class ClaimForm(TablerFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Contribution"))
    description = forms.CharField(label=_("What you did"), max_length=500)
    evidence_url = forms.CharField(label=_("Link to the evidence"), max_length=500, required=False)
    knowledge_item = forms.ModelChoiceField(
        label=_("Case study in the knowledge base"),
        queryset=points.knowledge_cases(),
        required=False,
        help_text=_("Required for a case study."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["knowledge_item"].queryset = points.knowledge_cases()
        policy = GrowthPolicy.current()
        self.fields["kind"].choices = [
            (
                str(kind),
                f"{PointKind(kind).label} · +{growth_policy.point_value(kind, policy) or 0}",
            )
            for kind in growth_policy.EARNING_KINDS
        ]


class RedeemForm(TablerFormMixin, forms.Form):
    reward = forms.ChoiceField(label=_("Reward"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reward"].choices = [
            (code, f"{growth_policy.label(row)} · {row.get('cost')}")
            for code, row in growth_policy.reward_map().items()
        ]


class DecisionForm(forms.Form):
    approve = forms.TypedChoiceField(
        choices=[("1", _("Approve")), ("0", _("Reject"))], coerce=lambda v: v == "1"
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


SCALARS = [
    "voice_sample_size",
    "voice_lookback_months",
    "voice_token_days",
    "gap_dimension",
    "gap_ratio",
    "gap_quarters",
]
ACTION_KEYS = ("code", "label_zh", "label_en", "dimension")
REWARD_KEYS = ("code", "label_zh", "label_en", "cost")


def row_field(prefix: str, n: int, key: str) -> str:
    return f"{prefix}_{n}_{key}"


class GrowthPolicyForm(TablerFormMixin, forms.ModelForm):
    """The scalar fields parse their own types; the service action and reward rows are
    text inputs (a row left empty is dropped); the service checks everything."""

    class Meta:
        model = GrowthPolicy
        fields = SCALARS

    def __init__(self, *args, instance: GrowthPolicy, **kwargs):
        super().__init__(*args, instance=instance, **kwargs)
        for field in self.fields.values():
            field.required = False
        labels = {
            "code": _("Code"),
            "label_zh": _("Label (zh-Hans)"),
            "label_en": _("Label (English)"),
            "dimension": _("Radar dimension"),
            "cost": _("Cost (points)"),
        }
        actions = growth_policy.service_actions(instance)
        rewards = list(growth_policy.reward_map(instance).values())
        self.action_count = len(actions) + EXTRA_ROWS
        self.reward_count = len(rewards) + EXTRA_ROWS
        for prefix, rows, keys, count in (
            ("action", actions, ACTION_KEYS, self.action_count),
            ("reward", rewards, REWARD_KEYS, self.reward_count),
        ):
            for n in range(1, count + 1):
                for key in keys:
                    name = row_field(prefix, n, key)
                    self.fields[name] = forms.CharField(
                        label=labels[key], max_length=200, required=False
                    )
                    if n <= len(rows):
                        self.initial.setdefault(name, rows[n - 1].get(key, ""))
        for kind in growth_policy.EARNING_KINDS:
            name = f"points_{kind}"
            self.fields[name] = forms.CharField(
                label=PointKind(kind).label, max_length=10, required=False
            )
            self.initial.setdefault(name, (instance.point_values or {}).get(str(kind), ""))

    def _post_clean(self):
        pass  # the service validates the whole policy

    def _rows(self, prefix: str, keys, count: int) -> list[dict]:
        rows = []
        for n in range(1, count + 1):
            row = {
                key: (self.cleaned_data.get(row_field(prefix, n, key)) or "").strip()
                for key in keys
            }
            if any(row.values()):
                rows.append(row)
        return rows

    def row_groups(self, prefix: str) -> list[list]:
        keys, count = (
            (ACTION_KEYS, self.action_count)
            if prefix == "action"
            else (REWARD_KEYS, self.reward_count)
        )
        return [[self[row_field(prefix, n, key)] for key in keys] for n in range(1, count + 1)]

    def action_rows(self):
        return self.row_groups("action")

    def reward_rows(self):
        return self.row_groups("reward")

    def point_fields(self):
        return [self[f"points_{kind}"] for kind in growth_policy.EARNING_KINDS]

    def scalar_fields(self):
        return [self[name] for name in SCALARS]

    def service_data(self) -> dict:
        data = {name: self.cleaned_data.get(name) for name in SCALARS}
        data["service_actions"] = self._rows("action", ACTION_KEYS, self.action_count)
        data["rewards"] = self._rows("reward", REWARD_KEYS, self.reward_count)
        data["point_values"] = {
            str(kind): self.cleaned_data.get(f"points_{kind}") or ""
            for kind in growth_policy.EARNING_KINDS
        }
        return data

    def attach_errors(self, errors: dict) -> None:
        """``service_actions.<n>.<key>`` on that row's input; other keys on their field."""
        targets = {"service_actions": "action", "rewards": "reward", "point_values": "points"}
        for key, messages in errors.items():
            parts = key.split(".")
            name = None
            if parts[0] in ("service_actions", "rewards") and len(parts) == 3:
                name = row_field(targets[parts[0]], int(parts[1]), parts[2])
            elif parts[0] == "point_values" and len(parts) == 2:
                name = f"points_{parts[1]}"
            elif key in self.fields:
                name = key
            if name and name in self.fields:
                self.add_error(name, messages)
            else:
                self.add_error(None, messages)
