"""Which plan pays whom (SPEC I1): the deepest team plan of the person's role beats the
organisation's; the version in force is the highest-numbered one effective by the day."""

import datetime as dt

import pytest

from salesops.incentives import assignment, defaults
from salesops.incentives.models import BonusPlan
from salesops.org.models import Role

from .factories import add_version, make_plan

pytestmark = pytest.mark.django_db


def test_team_subtree_plan_beats_the_organisation_plan(org):
    company = make_plan(Role.REP)
    east = make_plan(Role.REP, team=org.east)
    managers = make_plan(Role.MANAGER)
    on = dt.date(2026, 3, 31)
    assert assignment.plan_for(org.rep_a, on) == east
    assert assignment.plan_for(org.rep_c, on) == east  # Shanghai is under East
    assert assignment.plan_for(org.rep_d, on) == company
    assert assignment.plan_for(org.manager_east, on) == managers
    assert assignment.plan_for(org.finance, on) is None
    assert set(assignment.members(east, on)) == {org.rep_a, org.rep_b, org.rep_c}
    assert list(assignment.members(company, on)) == [org.rep_d]
    BonusPlan.objects.filter(pk=east.pk).update(is_active=False)
    assert assignment.plan_for(org.rep_a, on) == company


def test_version_in_force_is_the_highest_number_effective_by_the_day(org):
    plan = make_plan(Role.REP, effective_on=dt.date(2026, 1, 1))
    second = add_version(plan, dt.date(2026, 4, 1))
    first = plan.versions.get(number=1)
    assert assignment.version_in_force(plan, dt.date(2025, 12, 31)) is None
    assert assignment.version_in_force(plan, dt.date(2026, 3, 31)) == first
    assert assignment.version_in_force(plan, dt.date(2026, 4, 1)) == second
    versions = assignment.versions_for(dt.date(2026, 3, 31))
    assert versions[org.rep_a.pk] == first
    assert org.manager_east.pk not in versions  # no manager plan
    assert org.cs.pk not in versions


def test_default_plans_install_once(org):
    created = defaults.install_plans()
    assert {p.role for p in created} == {Role.REP, Role.MANAGER}
    rep_plan = next(p for p in created if p.role == Role.REP)
    assert rep_plan.name == "销售代表奖金方案" and rep_plan.description
    version = rep_plan.versions.get()
    kinds = {c.kind: c for c in version.components.all()}
    assert kinds["deal"].formula == "contract_amount * 0.02" and kinds["deal"].deferred
    assert not kinds["breakthrough"].apply_coefficient
    manager = next(p for p in created if p.role == Role.MANAGER)
    assert manager.versions.get().components.get(kind="deal").formula == "contract_amount * 0.01"
    assert defaults.install_plans() == []
    assert BonusPlan.objects.count() == 2
