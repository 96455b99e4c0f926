"""App-template section of the target settings: the one :class:`TargetPolicy` (fiscal
year, default measure, pool formula, capacity, key-account levels, allocation quadrants,
coverage lines, award rules, what reps see). A year's plans, pools and allocations are
data of that year, not configuration, and stay behind.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from salesops.targets import policy as target_policy
from salesops.targets.models import TargetPolicy

from ..base import Section, register
from .naturalkeys import number

KEY = "settings"
FIELDS = target_policy.POLICY_FIELDS


def _value(policy: TargetPolicy, field: str):
    if field == "quadrants":
        rows = target_policy.quadrant_rows(policy)
        return {
            code: {**row, "weight": number(row["weight"])} for code, row in sorted(rows.items())
        }
    value = getattr(policy, field)
    return number(value) if isinstance(value, Decimal) else value


def _normal(field: str, value):
    if field == "quadrants" and isinstance(value, dict):
        return {
            code: {**row, "weight": number(row.get("weight"))} if isinstance(row, dict) else row
            for code, row in sorted(value.items())
        }
    if isinstance(value, float | Decimal):
        return number(value)
    return value


@register
class TargetSettings(Section):
    name = "target_settings"
    label = _l("Target settings")
    depends = ("choice_lists",)

    def key(self, item: dict) -> str:
        return str(item.get("key") or "")

    def export(self) -> list[dict]:
        policy = TargetPolicy.current()
        return [{"key": KEY, **{f: _value(policy, f) for f in FIELDS}}]

    def validate(self, item: dict) -> list[str]:
        messages = []
        if self.key(item) != KEY:
            messages.append(
                _("“key” must be “%(key)s”: there is one set of target settings.") % {"key": KEY}
            )
        unknown = sorted(set(item) - set(FIELDS) - {"key"})
        if unknown:
            messages.append(
                _("Unknown field(s) %(fields)s; known: %(known)s.")
                % {"fields": ", ".join(unknown), "known": ", ".join(FIELDS)}
            )
        return messages

    def apply(self, item: dict, *, actor) -> str:
        policy = TargetPolicy.current()
        changed = {
            f: item[f] for f in FIELDS if f in item and _normal(f, item[f]) != _value(policy, f)
        }
        if not changed:
            return "unchanged"
        try:
            target_policy.policy_update(actor=actor, **changed)
        except ValidationError as exc:
            raise ValidationError(
                {"target_settings": [f"{k}: {m}" for k, ms in exc.message_dict.items() for m in ms]}
            ) from None
        return "changed"
