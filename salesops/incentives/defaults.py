"""The default bonus plans (P1: a fresh install pays reps and managers the seeds' way):
installed after ``migrate`` when no plan exists yet, never overwritten; an admin changes
them by saving a new version (P2)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction

from salesops.core import clock
from salesops.org.models import Role

from .models import BonusPlan, ComponentKind, PlanComponent, PlanVersion

DEAL_RATE = {Role.REP: "0.02", Role.MANAGER: "0.01"}
PLANS = {
    Role.REP: (
        "销售代表奖金方案",
        "Sales rep bonus plan: deal bonus 2 % released in tranches × the customer-health "
        "coefficient; monthly and quarterly rewards; breakthrough and process-health awards.",
    ),
    Role.MANAGER: (
        "销售经理奖金方案",
        "Sales manager bonus plan: deal bonus 1 % released in tranches × the customer-health "
        "coefficient; monthly and quarterly rewards; breakthrough and process-health awards.",
    ),
}


def default_components(role: str = Role.REP) -> list[dict]:
    """The seeds' components of a role's plan (what ``factories.make_plan`` uses too)."""
    rate = DEAL_RATE.get(role, DEAL_RATE[Role.REP])
    return [
        {
            "kind": ComponentKind.DEAL,
            "label": "成交奖金 / Deal bonus",
            "formula": f"contract_amount * {rate}",
            "deferred": True,
            "apply_coefficient": True,
        },
        {
            "kind": ComponentKind.MONTHLY,
            "label": "月度小奖 / Monthly reward",
            "formula": "if_(kpi_score >= 80, 1000, if_(kpi_score >= 60, 500, 0))",
            "deferred": False,
            "apply_coefficient": True,
        },
        {
            "kind": ComponentKind.QUARTERLY,
            "label": "季度大奖 / Quarterly reward",
            "formula": "if_(attainment >= 1, target * 0.01, 0)",
            "deferred": False,
            "apply_coefficient": True,
        },
        {
            "kind": ComponentKind.BREAKTHROUGH,
            "label": "攻坚特别奖 / Breakthrough award",
            "formula": "5000",
            "deferred": False,
            "apply_coefficient": False,
        },
        {
            "kind": ComponentKind.PROCESS_HEALTH,
            "label": "过程健康奖 / Process-health award",
            "formula": "pool * percent / 100 * share",
            "deferred": False,
            "apply_coefficient": False,
        },
    ]


@transaction.atomic
def create_plan(
    *, name: str, role: str, team=None, description: str = "", effective_on, components, by=None
) -> BonusPlan:
    """A plan with its version 1 (straight through the models: the plans area's
    ``save_version`` validates what people type; these are the seeds)."""
    plan = BonusPlan.objects.create(name=name, role=role, team=team, description=description)
    version = PlanVersion.objects.create(
        plan=plan,
        number=1,
        effective_on=effective_on,
        note="默认方案 / Default plan",
        created_by=by,
    )
    for position, component in enumerate(components):
        PlanComponent.objects.create(version=version, position=position, **component)
    return plan


def install_plans() -> list[BonusPlan]:
    if BonusPlan.objects.exists():
        return []
    # Effective from January of last year: a January install still pays December.
    effective_on = dt.date(clock.today().year - 1, 1, 1)
    return [
        create_plan(
            name=name,
            role=role,
            description=description,
            effective_on=effective_on,
            components=default_components(role),
        )
        for role, (name, description) in PLANS.items()
    ]


def install(**kwargs) -> None:
    """post_migrate: the default plans when no plan exists (not under the test suite,
    whose tests build their own)."""
    if getattr(settings, "TESTING", False):
        return
    try:
        BonusPlan.objects.exists()
    except Exception:  # noqa: BLE001 - the table is not there yet (migrating backwards)
        return
    install_plans()
