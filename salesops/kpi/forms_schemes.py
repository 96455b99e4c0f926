"""Forms of the KPI configuration pages. They only parse: the services in
``metric_library``, ``schemes``, ``policy`` and ``tasks`` validate and write."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from salesops.core import clock
from salesops.core.forms import DateInput, TablerFormMixin
from salesops.org.models import Role, Team

from . import metric_library, permissions
from .models import (
    BenchmarkMode,
    KpiPolicy,
    Metric,
    MetricGroup,
    RankingVisibility,
    Scheme,
    TargetSource,
)
from .schemes import DEFAULT_FORMULA

ITEM_FIELDS = ("metric", "group", "weight", "formula", "target_source", "target_value")
METRIC_FIELDS = [
    "code",
    "name_zh",
    "name_en",
    "description",
    "kind",
    "source",
    "filter",
    "aggregate",
    "field",
    "date_field",
    "formula",
    "unit",
    "higher_is_better",
    "is_active",
]


class ServiceErrorsMixin:
    def attach_errors(self, errors: dict) -> None:
        """A service error on its field, anything else on top of the form."""
        for key, messages in errors.items():
            if key in self.fields:
                self.add_error(key, messages)
            else:
                self.add_error(None, messages)


class MetricForm(ServiceErrorsMixin, TablerFormMixin, forms.ModelForm):
    source = forms.ChoiceField(label=_("source"), required=False)

    class Meta:
        model = Metric
        fields = METRIC_FIELDS
        widgets = {
            "filter": forms.Textarea(attrs={"rows": 2}),
            "formula": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [("", "—"), *metric_library.source_choices()]
        self.fields["source"].widget.attrs.update(
            {
                "hx-get": reverse("kpi:metric_source"),
                "hx-target": "#source-help",
                "hx-trigger": "change",
                "hx-swap": "outerHTML",
            }
        )
        if self.instance.pk:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = _("The code cannot change: formulas refer to it.")

    def _post_clean(self):
        pass  # the service validates the whole metric

    def service_data(self) -> dict:
        data = {
            name: self.cleaned_data[name] for name in METRIC_FIELDS if name in self.cleaned_data
        }
        if self.instance.pk:
            data.pop("code", None)
        return data


class SchemeForm(ServiceErrorsMixin, TablerFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    role = forms.ChoiceField(label=_("Role"))
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.order_by("name"),
        required=False,
        help_text=_("Empty: the whole organisation."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [
            (value, label) for value, label in Role.choices if value in permissions.SCORED_ROLES
        ]


class VersionForm(ServiceErrorsMixin, TablerFormMixin, forms.Form):
    """The version's own fields; its metric rows come as parallel lists (``item_metric``,
    ``item_group`` …, one entry per row, rows added and removed by schemes.js)."""

    effective_from = forms.DateField(label=_("Effective from"), widget=DateInput())
    result_weight = forms.DecimalField(label=_("Result group (%)"), max_digits=6, decimal_places=2)
    process_weight = forms.DecimalField(
        label=_("Process group (%)"), max_digits=6, decimal_places=2
    )
    quality_weight = forms.DecimalField(
        label=_("Quality group (%)"), max_digits=6, decimal_places=2
    )
    note = forms.CharField(label=_("What changed and why"), max_length=500, required=False)

    def __init__(self, *args, scheme: Scheme, **kwargs):
        super().__init__(*args, **kwargs)
        self.scheme = scheme
        self.item_errors: dict[int, dict[str, list]] = {}
        self.rows = parse_items(self.data) if self.is_bound else []

    def attach_errors(self, errors: dict) -> None:
        rest = {}
        for key, messages in errors.items():
            parts = key.split(".")
            if len(parts) == 3 and parts[0] == "items" and parts[1].isdigit():
                self.item_errors.setdefault(int(parts[1]), {}).setdefault(parts[2], []).extend(
                    messages
                )
            elif len(parts) == 2 and parts[0] == "items" and parts[1].isdigit():
                self.item_errors.setdefault(int(parts[1]), {}).setdefault("metric", []).extend(
                    messages
                )
            else:
                rest[key] = messages
        super().attach_errors(rest)

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["items"] = self.rows
        return data

    def row_context(self, rows: list[dict]) -> list[dict]:
        return [
            {**row, "index": index, "errors": self.item_errors.get(index, {})}
            for index, row in enumerate(rows)
        ]


def parse_items(data) -> list[dict]:
    """The editor's rows from the posted parallel lists, in page order."""
    columns = {name: data.getlist(f"item_{name}") for name in ITEM_FIELDS}
    count = max((len(values) for values in columns.values()), default=0)
    rows = []
    for index in range(count):
        row = {
            name: (values[index] if index < len(values) else "") for name, values in columns.items()
        }
        if not any(str(v).strip() for v in row.values()):
            continue
        row = {k: v.strip() if isinstance(v, str) else v for k, v in row.items()}
        row["target_value"] = row["target_value"] or None
        rows.append(row)
    return rows


def editor_choices() -> dict:
    """The options of an item row: active metrics, groups and target sources."""
    return {
        "metrics": list(
            Metric.objects.filter(is_active=True)
            .order_by("code")
            .values_list("code", "name_zh", "name_en")
        ),
        "groups": MetricGroup.choices,
        "target_sources": TargetSource.choices,
        "default_formula": DEFAULT_FORMULA,
    }


class RunForm(TablerFormMixin, forms.Form):
    scheme = forms.ModelChoiceField(
        label=_("Scheme"), queryset=Scheme.objects.filter(is_active=True).order_by("name")
    )
    month = forms.CharField(
        label=_("Month"),
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
        help_text=_("YYYY-MM, e.g. 2026-11."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"month": f"{clock.today():%Y-%m}"})
        super().__init__(*args, **kwargs)


class KpiPolicyForm(ServiceErrorsMixin, TablerFormMixin, forms.Form):
    result_weight = forms.DecimalField(
        label=_("Result group weight (%)"), max_digits=6, decimal_places=2
    )
    process_weight = forms.DecimalField(
        label=_("Process group weight (%)"), max_digits=6, decimal_places=2
    )
    quality_weight = forms.DecimalField(
        label=_("Quality group weight (%)"), max_digits=6, decimal_places=2
    )
    process_min = forms.DecimalField(
        label=_("Process group at least (%)"), max_digits=6, decimal_places=2
    )
    process_max = forms.DecimalField(
        label=_("Process group at most (%)"), max_digits=6, decimal_places=2
    )
    ranking_visibility = forms.ChoiceField(label=_("Ranking visibility"))
    comparison_metrics = forms.MultipleChoiceField(
        label=_("My-comparison metrics"),
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Pick six active metrics (K4)."),
    )
    benchmark_mode = forms.ChoiceField(label=_("Benchmark"))
    benchmark_values = forms.CharField(
        label=_("Benchmark values"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("One line per compared metric: code = value, e.g. nps = 40."),
    )

    GROUPS = {
        "weights": [
            "result_weight",
            "process_weight",
            "quality_weight",
            "process_min",
            "process_max",
        ],
        "comparison": [
            "ranking_visibility",
            "comparison_metrics",
            "benchmark_mode",
            "benchmark_values",
        ],
    }

    def __init__(self, *args, policy: KpiPolicy, **kwargs):
        initial = {
            "result_weight": policy.result_weight,
            "process_weight": policy.process_weight,
            "quality_weight": policy.quality_weight,
            "process_min": policy.process_min,
            "process_max": policy.process_max,
            "ranking_visibility": policy.ranking_visibility,
            "comparison_metrics": list(policy.comparison_metrics),
            "benchmark_mode": policy.benchmark_mode,
            "benchmark_values": "\n".join(
                f"{code} = {value}" for code, value in (policy.benchmark_values or {}).items()
            ),
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["ranking_visibility"].choices = RankingVisibility.choices
        self.fields["benchmark_mode"].choices = BenchmarkMode.choices
        self.fields["comparison_metrics"].choices = [
            (m.code, f"{m.code} · {m.name_zh} / {m.name_en}")
            for m in Metric.objects.filter(is_active=True).order_by("code")
        ]

    def group(self, name: str) -> list:
        return [self[field] for field in self.GROUPS[name]]

    def clean_benchmark_values(self) -> dict:
        text = self.cleaned_data.get("benchmark_values") or ""
        values = {}
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            code, sep, value = line.partition("=")
            if not sep or not code.strip():
                raise forms.ValidationError(
                    _("Line %(n)d: write code = value, e.g. nps = 40.") % {"n": number}
                )
            try:
                Decimal(value.strip())
            except (InvalidOperation, ValueError):
                raise forms.ValidationError(
                    _("Line %(n)d: “%(value)s” is not a number.")
                    % {"n": number, "value": value.strip()}
                ) from None
            values[code.strip()] = value.strip()
        return values

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["comparison_metrics"] = list(data["comparison_metrics"])
        return data
