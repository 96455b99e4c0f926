"""Bonus plans as data (I1, P2): one active plan per role and team; a version is checked
whole before anything is written (an unknown variable names its component), numbered,
immutable, effective today or later except the first; what changed is computed; the
formula check previews a deal formula on last month's contracts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from salesops.core import clock
from salesops.incentives import plans
from salesops.incentives.models import BonusPlan, PlanComponent
from salesops.org.tests.factories import build_org
from salesops.revenue.tests.factories import make_contract

pytestmark = pytest.mark.django_db


def component(kind="monthly", formula="kpi_score * 10", label="月度奖励", **extra) -> dict:
    return {"kind": kind, "label": label, "formula": formula, **extra}


@pytest.fixture
def org():
    return build_org()


@pytest.fixture
def plan(org):
    plan = plans.create_plan(by=org.admin, name="East reps", role="rep", team=org.east)
    plans.save_version(
        plan,
        by=org.admin,
        effective_on=dt.date(2026, 1, 1),
        components=[
            component("deal", "contract_amount * 0.02", "成交奖"),
            component(),
        ],
    )
    return plan


def test_one_active_plan_per_role_and_team(org, plan):
    with pytest.raises(ValidationError) as exc:
        plans.create_plan(by=org.director, name="Again", role="rep", team=org.east)
    assert "team" in exc.value.message_dict
    # Another team, another role, the whole organisation: fine.
    plans.create_plan(by=org.admin, name="South", role="rep", team=org.south)
    plans.create_plan(by=org.admin, name="East managers", role="manager", team=org.east)
    plans.create_plan(by=org.admin, name="Everyone", role="rep")
    # Deactivated, a second one may be added; reactivating the first then clashes.
    plans.update_plan(by=org.admin, plan=plan, is_active=False)
    plans.create_plan(by=org.admin, name="East reps 2", role="rep", team=org.east)
    with pytest.raises(ValidationError) as exc:
        plans.update_plan(by=org.admin, plan=plan, is_active=True)
    assert "is_active" in exc.value.message_dict
    assert BonusPlan.objects.get(pk=plan.pk).is_active is False


def test_plan_input_checked(org):
    with pytest.raises(ValidationError) as exc:
        plans.create_plan(by=org.admin, name=" ", role="finance")
    assert set(exc.value.message_dict) == {"name", "role"}
    assert not BonusPlan.objects.exists()


def test_only_configurers(org, plan):
    for user in (org.rep_a, org.manager_east, org.finance):
        with pytest.raises(PermissionDenied):
            plans.create_plan(by=user, name="x", role="rep")
        with pytest.raises(PermissionDenied):
            plans.save_version(plan, by=user, effective_on=clock.today(), components=[component()])


def test_unknown_variable_names_the_component_and_writes_nothing(org, plan):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        plans.save_version(
            plan,
            by=org.admin,
            effective_on=clock.today(),
            components=[
                component("deal", "contract_amount * 0.03", "成交奖"),
                component(formula="kpi_scor * 10"),
            ],
        )
    messages = exc.value.message_dict["components"]
    assert len(messages) == 1
    assert messages[0].startswith("月度奖励: 未知名称“kpi_scor”")
    assert "kpi_score" in messages[0]  # the names a monthly formula may use
    assert exc.value.by_kind == {"monthly": [messages[0].split(": ", 1)[1]]}
    assert plan.versions.count() == 1
    assert PlanComponent.objects.count() == 2


def test_every_problem_at_once(org, plan):
    with pytest.raises(ValidationError) as exc:
        plans.save_version(
            plan,
            by=org.admin,
            effective_on=clock.today() - dt.timedelta(days=1),
            components=[
                component(formula="(kpi_score"),
                component(formula="kpi_score"),
                component("bonus", "1"),
                component("deal", "", "成交奖"),
            ],
            note="x" * 501,
        )
    errors = exc.value.message_dict
    assert set(errors) == {"components", "effective_on", "note"}
    text = " | ".join(errors["components"])
    assert "月度奖励" in text and "twice" in text and "“bonus”" in text and "成交奖" in text
    assert "past months keep the version" in errors["effective_on"][0]
    assert plan.versions.count() == 1


def test_new_version_numbered_old_one_untouched_and_immutable(org, plan):
    first = plan.versions.get()
    before = list(first.components.values_list("kind", "formula"))
    second = plans.save_version(
        plan,
        by=org.admin,
        effective_on=clock.today(),
        components=[
            component("deal", "contract_amount * 0.03", "成交奖", deferred=False),
            component("quarterly", "attainment * 5000", "季度奖"),
        ],
        note="raise the deal rate",
    )
    assert second.number == 2 and first.number == 1
    assert list(first.components.values_list("kind", "formula")) == before
    assert second.created_by == org.admin
    deal = second.components.get(kind="deal")
    assert deal.formula == "contract_amount * 0.03" and deal.deferred is False
    # Only a deal bonus is deferred; the other kinds are paid when earned.
    assert second.components.get(kind="quarterly").deferred is False
    with pytest.raises(ValidationError):
        first.note = "changed"
        first.save()
    with pytest.raises(ValidationError):
        deal.formula = "1"
        deal.save()
    with pytest.raises(ValidationError):
        first.delete()
    changes = plans.version_changes(second)
    assert any("contract_amount * 0.02 → contract_amount * 0.03" in c for c in changes)
    assert any("Quarterly reward" in c and "added" in c for c in changes)
    assert any("Monthly reward" in c and "removed" in c for c in changes)
    assert any("release in tranches" in c for c in changes)
    assert plans.version_changes(first) == []


def test_effective_dates(org):
    plan = plans.create_plan(by=org.admin, name="All reps", role="rep")
    long_ago = clock.today() - dt.timedelta(days=400)
    # The first version may start in the past (the plan as it has been paid so far).
    first = plans.save_version(plan, by=org.admin, effective_on=long_ago, components=[component()])
    assert first.effective_on == long_ago
    with pytest.raises(ValidationError) as exc:
        plans.save_version(
            plan,
            by=org.admin,
            effective_on=clock.today() - dt.timedelta(days=1),
            components=[component()],
        )
    assert "effective_on" in exc.value.message_dict
    later = clock.today() + dt.timedelta(days=20)
    upcoming = plans.save_version(plan, by=org.admin, effective_on=later, components=[component()])
    assert plans.current_version(plan) == first
    assert plans.current_version(plan, later) == upcoming
    assert plans.latest_version(plan) == upcoming


def test_check_formula_examples_and_errors():
    result = plans.check_formula("monthly", "kpi_score * 10")
    assert result["ok"] and result["errors"] == []
    assert {v["name"] for v in result["variables"]} >= {"kpi_score", "attainment"}
    assert result["preview"]["source"] == "example" and result["preview"]["result"] == "850.00"
    bad = plans.check_formula("process_health", "pool * percent / 100 * shares")
    assert not bad["ok"] and "shares" in bad["errors"][0] and bad["preview"] is None
    with pytest.raises(ValidationError) as exc:
        plans.check_formula("nope", "1")
    assert "kind" in exc.value.message_dict


@time_machine.travel(dt.datetime(2026, 4, 10, 12, 0, tzinfo=dt.UTC))
def test_deal_preview_on_last_months_contracts(org):
    def signed(owner, amount, day):
        instalments = [{"due_on": day, "percent": "100"}]
        make_contract(owner=owner, amount=Decimal(amount), signed_on=day, instalments=instalments)

    signed(org.rep_a, "100000.00", dt.date(2026, 3, 2))
    signed(org.rep_b, "50000.00", dt.date(2026, 3, 20))
    signed(org.rep_b, "10000.00", dt.date(2026, 3, 25))
    signed(org.rep_b, "900000.00", dt.date(2026, 4, 2))  # this month: not in the preview
    preview = plans.check_formula("deal", "contract_amount * 0.02")["preview"]
    assert preview["source"] == "last_month" and preview["contracts"] == 3
    assert (preview["min"], preview["median"], preview["max"], preview["total"]) == (
        "200.00",
        "1000.00",
        "2000.00",
        "3200.00",
    )
    failing = plans.check_formula("deal", "contract_amount / (term_months)")["preview"]
    assert failing["failures"] == 3 and "HT-" in failing["error"]
