"""App-template section of the KPI schemes: each scheme by name with its latest version's
group weights and metrics (metric by code, group, weight, scoring formula, target).

A scheme's versions are immutable, so a changed file makes a new version in force from
today through :func:`salesops.kpi.schemes.scheme_save_version`; numbers travel as plain
text ("60", "0.5") so the same weights always give the same bytes.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from salesops.core import clock
from salesops.kpi import permissions
from salesops.kpi import schemes as kpi_schemes
from salesops.kpi.models import KpiPolicy, Scheme

from ..base import Section, register
from .naturalkeys import find_team, number, team_path

WEIGHTS = ("result_weight", "process_weight", "quality_weight")


def _metric_item(raw: dict) -> dict:
    return {
        "metric": str(raw.get("metric") or ""),
        "group": raw.get("group"),
        "weight": number(raw.get("weight")),
        "formula": str(raw.get("formula") or "").strip(),
        "target_source": raw.get("target_source") or "fixed",
        "target_value": number(raw.get("target_value")),
    }


@register
class KpiSchemes(Section):
    name = "kpi_schemes"
    label = _l("KPI scheme")
    depends = ("teams",)

    def key(self, item: dict) -> str:
        return str(item.get("name") or "")

    def _item(self, scheme: Scheme) -> dict:
        version = kpi_schemes.latest_version(scheme)
        item = {
            "name": scheme.name,
            "role": scheme.role,
            "team": team_path(scheme.team) if scheme.team_id else "",
            "is_active": scheme.is_active,
        }
        if version is None:
            return {**item, **dict.fromkeys(WEIGHTS), "items": []}
        item.update({w: number(getattr(version, w)) for w in WEIGHTS})
        item["items"] = [
            _metric_item(
                {
                    "metric": i.metric.code,
                    "group": i.group,
                    "weight": i.weight,
                    "formula": i.formula,
                    "target_source": i.target_source,
                    "target_value": i.target_value,
                }
            )
            for i in version.items.select_related("metric").order_by("order", "pk")
        ]
        return item

    def export(self) -> list[dict]:
        return sorted((self._item(s) for s in Scheme.objects.select_related("team")), key=self.key)

    def _normal(self, item: dict) -> dict:
        return {
            "name": self.key(item).strip(),
            "role": item.get("role") or "rep",
            "team": item.get("team") or "",
            "is_active": bool(item.get("is_active", True)),
            **{w: number(item.get(w)) for w in WEIGHTS},
            "items": [_metric_item(i) for i in item.get("items") or [] if isinstance(i, dict)],
        }

    def references(self, item: dict) -> list[tuple[str, str]]:
        return [("teams", item["team"])] if item.get("team") else []

    def validate(self, item: dict) -> list[str]:
        messages = []
        if not self.key(item).strip():
            messages.append(_("“name” is missing: give the scheme a name."))
        role = item.get("role") or "rep"
        if role not in permissions.SCORED_ROLES:
            messages.append(
                _("“role” must be one of: %(choices)s.")
                % {"choices": ", ".join(permissions.SCORED_ROLES)}
            )
        # The policy row as stored: one just created still holds int defaults, which the
        # out-of-range message cannot format.
        KpiPolicy.current()
        errors, _weights, _cleaned = kpi_schemes.validate_draft(
            result_weight=item.get("result_weight"),
            process_weight=item.get("process_weight"),
            quality_weight=item.get("quality_weight"),
            items=item.get("items"),
        )
        for field, problems in sorted(errors.items()):
            messages += [f"{field}: {p}" for p in problems]
        if (
            item.get("is_active", True)
            and not item.get("team")
            and role in permissions.SCORED_ROLES
        ):
            other = (
                Scheme.objects.filter(role=role, team__isnull=True, is_active=True)
                .exclude(name=self.key(item))
                .first()
            )
            if other is not None:
                messages.append(
                    _(
                        "The active scheme “%(other)s” already scores this role for the whole "
                        "organisation: name this scheme “%(other)s” to change it, or set "
                        "“is_active” to false."
                    )
                    % {"other": other.name}
                )
        return messages

    def apply(self, item: dict, *, actor) -> str:
        wanted = self._normal(item)
        scheme = Scheme.objects.filter(name=wanted["name"]).select_related("team").first()
        if scheme is not None and self._item(scheme) == wanted:
            return "unchanged"
        created = scheme is None
        if created:
            team = find_team(wanted["team"]) if wanted["team"] else None
            scheme = kpi_schemes.scheme_create(
                by=actor, name=wanted["name"], role=wanted["role"], team=team
            )
        current = self._item(scheme)
        if any(current[k] != wanted[k] for k in (*WEIGHTS, "items")):
            kpi_schemes.scheme_save_version(
                by=actor,
                scheme=scheme,
                effective_from=clock.today(),
                items=[
                    {k: v for k, v in i.items() if not (k == "target_value" and v is None)}
                    for i in wanted["items"]
                ],
                note=_("From an app template"),
                **{w: wanted[w] for w in WEIGHTS},
            )
        if scheme.is_active != wanted["is_active"]:
            kpi_schemes.scheme_update(by=actor, scheme=scheme, is_active=wanted["is_active"])
        if (scheme.role, team_path(scheme.team)) != (wanted["role"], wanted["team"]):
            raise ValidationError(
                {
                    "kpi_schemes": [
                        _(
                            "Scheme “%(name)s”: its role and team do not change; give the "
                            "scheme another name for another role or team."
                        )
                        % {"name": wanted["name"]}
                    ]
                }
            )
        return "created" if created else "changed"
