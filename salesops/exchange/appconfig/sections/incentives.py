"""App-template section of the bonus plans: each plan by name with its latest version's
components (kind, label, formula, tranches, customer-health coefficient, order).

Plan versions are immutable and past months keep the version they were paid with, so a
changed file makes a new version in force from today through
:func:`salesops.incentives.plans.save_version`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from salesops.core import clock
from salesops.incentives import plans as plan_services
from salesops.incentives.models import BonusPlan
from salesops.org.models import Role

from ..base import Section, register
from .naturalkeys import find_team, team_path

PAID_ROLES = (Role.REP, Role.MANAGER)


def _component(raw: dict) -> dict:
    return {
        "kind": raw.get("kind"),
        "label": str(raw.get("label") or "").strip(),
        "formula": str(raw.get("formula") or "").strip(),
        "deferred": bool(raw.get("deferred", True)) and raw.get("kind") == "deal",
        "apply_coefficient": bool(raw.get("apply_coefficient", True)),
        "position": int(raw.get("position") or 0),
    }


@register
class BonusPlans(Section):
    name = "bonus_plans"
    label = _l("Bonus plan")
    depends = ("teams",)

    def key(self, item: dict) -> str:
        return str(item.get("name") or "")

    def _item(self, plan: BonusPlan) -> dict:
        version = plan_services.latest_version(plan)
        components = [
            _component({f: getattr(c, f) for f in plan_services.COMPONENT_KEYS})
            for c in plan_services.components_of(version)
        ]
        return {
            "name": plan.name,
            "role": plan.role,
            "team": team_path(plan.team) if plan.team_id else "",
            "description": plan.description,
            "is_active": plan.is_active,
            "components": sorted(components, key=lambda c: (c["position"], c["kind"])),
        }

    def export(self) -> list[dict]:
        return sorted(
            (self._item(p) for p in BonusPlan.objects.select_related("team")), key=self.key
        )

    def _normal(self, item: dict) -> dict:
        components = [_component(c) for c in item.get("components") or [] if isinstance(c, dict)]
        return {
            "name": self.key(item).strip(),
            "role": item.get("role") or Role.REP,
            "team": item.get("team") or "",
            "description": str(item.get("description") or "").strip(),
            "is_active": bool(item.get("is_active", True)),
            "components": sorted(components, key=lambda c: (c["position"], c["kind"])),
        }

    def references(self, item: dict) -> list[tuple[str, str]]:
        return [("teams", item["team"])] if item.get("team") else []

    def validate(self, item: dict) -> list[str]:
        messages = []
        if not self.key(item).strip():
            messages.append(_("“name” is missing: give the plan a name."))
        role = item.get("role") or Role.REP
        if role not in PAID_ROLES:
            messages.append(
                _("“role” must be one of: %(choices)s.") % {"choices": ", ".join(PAID_ROLES)}
            )
        problems, _by_kind, _cleaned = plan_services.validate_components(item.get("components"))
        messages += [_("“components”: %(problem)s") % {"problem": p} for p in problems]
        if item.get("is_active", True) and not item.get("team") and role in PAID_ROLES:
            other = (
                BonusPlan.objects.filter(role=role, team__isnull=True, is_active=True)
                .exclude(name=self.key(item))
                .first()
            )
            if other is not None:
                messages.append(
                    _(
                        "The active plan “%(other)s” already pays this role across the "
                        "organisation: name this plan “%(other)s” to change it, or set "
                        "“is_active” to false."
                    )
                    % {"other": other.name}
                )
        return messages

    def apply(self, item: dict, *, actor) -> str:
        wanted = self._normal(item)
        plan = BonusPlan.objects.filter(name=wanted["name"]).select_related("team").first()
        if plan is not None and self._item(plan) == wanted:
            return "unchanged"
        created = plan is None
        if created:
            team = find_team(wanted["team"]) if wanted["team"] else None
            plan = plan_services.create_plan(
                by=actor,
                name=wanted["name"],
                role=wanted["role"],
                team=team,
                description=wanted["description"],
            )
        elif (plan.role, team_path(plan.team)) != (wanted["role"], wanted["team"]):
            raise ValidationError(
                {
                    "bonus_plans": [
                        _(
                            "Plan “%(name)s”: its role and team do not change; give the plan "
                            "another name for another role or team."
                        )
                        % {"name": wanted["name"]}
                    ]
                }
            )
        if self._item(plan)["components"] != wanted["components"]:
            plan_services.save_version(
                plan,
                by=actor,
                effective_on=clock.today(),
                components=wanted["components"],
                note=_("From an app template"),
            )
        plan.refresh_from_db()
        if (plan.description, plan.is_active) != (wanted["description"], wanted["is_active"]):
            plan_services.update_plan(
                by=actor,
                plan=plan,
                description=wanted["description"],
                is_active=wanted["is_active"],
            )
        return "created" if created else "changed"
