"""Shared test factories of the incentives app (every area uses them).

- ``make_plan(role="rep", team=None, components=None, effective_on=…)``: an active bonus
  plan with version 1 (the default components of ``defaults.py`` unless given; a
  component dict may leave out ``deferred``/``apply_coefficient``/``label``);
- ``add_version(plan, effective_on, components)``: the next version;
- ``component(kind, formula, **fields)``: one component dict.
"""

from __future__ import annotations

import datetime as dt

from salesops.incentives import defaults
from salesops.incentives.models import BonusPlan, PlanComponent, PlanVersion
from salesops.org.models import Role

EFFECTIVE_ON = dt.date(2025, 1, 1)


def component(kind: str, formula: str, **fields) -> dict:
    fields.setdefault("label", str(kind))
    fields.setdefault("deferred", kind == "deal")
    fields.setdefault("apply_coefficient", kind in ("deal", "monthly", "quarterly"))
    return {"kind": kind, "formula": formula, **fields}


def _complete(components) -> list[dict]:
    return [
        component(
            c["kind"], c["formula"], **{k: v for k, v in c.items() if k not in ("kind", "formula")}
        )
        for c in components
    ]  # noqa: E501


def make_plan(
    role: str = Role.REP,
    team=None,
    components=None,
    effective_on: dt.date = EFFECTIVE_ON,
    name: str | None = None,
) -> BonusPlan:
    components = _complete(components) if components is not None else None
    return defaults.create_plan(
        name=name or f"{role} plan {team.name if team else 'org'}",
        role=role,
        team=team,
        effective_on=effective_on,
        components=components if components is not None else defaults.default_components(role),
    )


def add_version(plan: BonusPlan, effective_on: dt.date, components=None) -> PlanVersion:
    number = (plan.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version = PlanVersion.objects.create(plan=plan, number=number, effective_on=effective_on)
    for position, item in enumerate(
        _complete(components) if components is not None else defaults.default_components(plan.role)
    ):
        PlanComponent.objects.create(version=version, position=position, **item)
    return version
