"""Forms of the bonus-plan pages. They only parse: ``plans`` validates and writes.

The version editor has one row per component kind; its inputs are named by the kind
(``deal-include``, ``deal-label``, ``deal-formula``, ``deal-deferred``,
``deal-apply_coefficient``, ``deal-position``), so rows need no numbering."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from salesops.core import clock
from salesops.core.forms import DateInput, TablerFormMixin
from salesops.org.models import Role, Team

from . import formulas, plans
from .models import BonusPlan, ComponentKind

ROW_FIELDS = ("label", "formula", "deferred", "apply_coefficient", "position")


class ServiceErrorsMixin:
    def attach_errors(self, errors: dict) -> None:
        """A service error on its field, anything else on top of the form."""
        for key, messages in errors.items():
            self.add_error(key if key in self.fields else None, messages)


class PlanForm(ServiceErrorsMixin, TablerFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[(Role.REP.value, Role.REP.label), (Role.MANAGER.value, Role.MANAGER.label)],
    )
    team = forms.ModelChoiceField(
        label=_("Team"),
        queryset=Team.objects.order_by("name"),
        required=False,
        help_text=_("Empty: the whole organisation; otherwise this team and the teams below it."),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class PlanEditForm(ServiceErrorsMixin, TablerFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(
        label=_("Description"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False)

    def __init__(self, *args, plan: BonusPlan, **kwargs):
        initial = {"name": plan.name, "description": plan.description, "is_active": plan.is_active}
        super().__init__(*args, initial=initial, **kwargs)


class VersionForm(ServiceErrorsMixin, TablerFormMixin, forms.Form):
    effective_on = forms.DateField(label=_("Effective from"), widget=DateInput())
    note = forms.CharField(label=_("What changed and why"), max_length=500, required=False)

    def __init__(self, *args, plan: BonusPlan, start: dict[str, dict], **kwargs):
        kwargs.setdefault("initial", {"effective_on": clock.today()})
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.start = start
        self.component_errors: dict[str, list[str]] = {}

    def components(self) -> list[dict]:
        """The included rows, as the service's component dicts."""
        out = []
        for kind in ComponentKind.values:
            if not self.data.get(f"{kind}-include"):
                continue
            out.append(
                {
                    "kind": kind,
                    "label": self.data.get(f"{kind}-label", ""),
                    "formula": self.data.get(f"{kind}-formula", ""),
                    "deferred": bool(self.data.get(f"{kind}-deferred")),
                    "apply_coefficient": bool(self.data.get(f"{kind}-apply_coefficient")),
                    "position": self.data.get(f"{kind}-position") or 0,
                }
            )
        return out

    def service_data(self) -> dict:
        return {**self.cleaned_data, "components": self.components()}

    def attach_errors(self, errors: dict, by_kind: dict | None = None) -> None:
        self.component_errors = dict(by_kind or {})
        shown = {m for messages in self.component_errors.values() for m in messages}
        rest = {}
        for key, messages in errors.items():
            if key == "components":
                # The ones about a row are shown beside it; the others on top.
                left = [m for m in messages if not any(m.endswith(s) for s in shown)]
                if left:
                    rest[key] = left
            else:
                rest[key] = messages
        super().attach_errors(rest)

    def rows(self) -> list[dict]:
        """One editor row per kind: posted values, else the latest version's, else empty."""
        rows = []
        for position, (kind, label) in enumerate(ComponentKind.choices):
            if self.is_bound:
                row = {
                    "include": bool(self.data.get(f"{kind}-include")),
                    "label": self.data.get(f"{kind}-label", ""),
                    "formula": self.data.get(f"{kind}-formula", ""),
                    "deferred": bool(self.data.get(f"{kind}-deferred")),
                    "apply_coefficient": bool(self.data.get(f"{kind}-apply_coefficient")),
                    "position": self.data.get(f"{kind}-position") or position,
                }
            elif kind in self.start:
                row = {"include": True, **self.start[kind]}
            else:
                row = {
                    "include": False,
                    "label": str(label),
                    "formula": "",
                    "deferred": kind == ComponentKind.DEAL,
                    "apply_coefficient": True,
                    "position": position,
                }
            row.update(
                {
                    "kind": kind,
                    "kind_label": label,
                    "variables": plans.variables_help(kind),
                    "errors": self.component_errors.get(kind, []),
                    "is_deal": kind == ComponentKind.DEAL,
                }
            )
            rows.append(row)
        return rows


def kinds_help() -> list[dict]:
    return [
        {"kind": kind, "label": label, "variables": plans.variables_help(kind)}
        for kind, label in ComponentKind.choices
        if kind in formulas.VARIABLES
    ]
