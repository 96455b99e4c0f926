"""Vote, baseline, publish, the lock after publishing and adjustments (new version)."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from salesops.targets import services
from salesops.targets.adjustments import largest_remainder
from salesops.targets.lifecycle import Conflict
from salesops.targets.models import Allocation, PlanState, Vote
from salesops.targets.tests.factories import make_plan

from .plan_states import calibrated, decomposed

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(org):
    plan = calibrated(make_plan(org.admin, team=org.east))
    services.scenarios_compute(plan=plan, actor=org.admin)
    return plan


def amounts(org):
    return {org.rep_a: "100000.00", org.rep_b: "150000.00", org.rep_c: "50000.00"}


def test_largest_remainder_adds_up():
    assert largest_remainder(Decimal("100.00"), [1, 1, 1]) == [
        Decimal("33.34"),
        Decimal("33.33"),
        Decimal("33.33"),
    ]
    assert largest_remainder(Decimal("10.00"), [0, 0]) == [Decimal("5.00"), Decimal("5.00")]
    parts = largest_remainder(Decimal("130000.00"), ["8333.33"] * 8 + ["8333.34"] * 4)
    assert sum(parts) == Decimal("130000.00") and len(parts) == 12


def test_vote_one_per_member_and_changeable(org, plan):
    steady, aggressive = plan.scenarios.get(code="steady"), plan.scenarios.get(code="aggressive")
    services.vote_cast(plan=plan, voter=org.rep_a, scenario=steady)
    services.vote_cast(plan=plan, voter=org.rep_a, scenario=aggressive)
    services.vote_cast(plan=plan, voter=org.director, scenario=steady)
    assert Vote.objects.filter(plan=plan).count() == 2
    assert Vote.objects.get(plan=plan, voter=org.rep_a).scenario == aggressive
    with pytest.raises(PermissionDenied):  # South is not in the East plan
        services.vote_cast(plan=plan, voter=org.rep_d, scenario=steady)
    with pytest.raises(PermissionDenied):
        services.vote_cast(plan=plan, voter=org.finance, scenario=steady)


def test_closed_vote_is_a_conflict(org, plan):
    steady = plan.scenarios.get(code="steady")
    with pytest.raises(PermissionDenied):
        services.vote_close(plan=plan, actor=org.manager_east)
    services.vote_close(plan=plan, actor=org.admin)
    with pytest.raises(Conflict):
        services.vote_cast(plan=plan, voter=org.rep_a, scenario=steady)
    with pytest.raises(Conflict):
        services.vote_close(plan=plan, actor=org.admin)


def test_director_confirms_the_baseline(org, plan):
    steady = plan.scenarios.get(code="steady")
    with pytest.raises(PermissionDenied):
        services.baseline_confirm(plan=plan, scenario=steady, actor=org.admin)
    services.baseline_confirm(plan=plan, scenario=steady, actor=org.director)
    plan.refresh_from_db()
    steady.refresh_from_db()
    assert plan.state == PlanState.SCENARIO_CHOSEN
    assert plan.baseline == steady and plan.baseline_amount == steady.result == plan.pool
    assert not plan.vote_open
    with pytest.raises(ValidationError):  # the baseline cannot be deleted
        services.scenario_delete(scenario=steady, actor=org.admin)


def test_confirm_needs_computed_scenario(org):
    plan = calibrated(make_plan(org.admin, team=org.east))
    with pytest.raises(ValidationError) as caught:
        services.baseline_confirm(plan=plan, scenario=plan.scenarios.first(), actor=org.director)
    assert "scenario" in caught.value.message_dict


def test_publish_needs_exact_allocations(org):
    plan = make_plan(org.admin, team=org.east)
    with pytest.raises(ValidationError) as caught:
        services.publish(plan=plan, actor=org.admin)
    assert "allocations" in caught.value.message_dict
    plan = decomposed(plan, amounts(org))
    Allocation.objects.filter(plan=plan, rep=org.rep_c).update(amount=Decimal("49999.99"))
    with pytest.raises(ValidationError) as caught:
        services.publish(plan=plan, actor=org.admin)
    assert "allocations" in caught.value.message_dict
    Allocation.objects.filter(plan=plan, rep=org.rep_c).delete()
    with pytest.raises(ValidationError) as caught:  # rep_c has none
        services.publish(plan=plan, actor=org.admin)
    assert "Rep C" in " ".join(caught.value.message_dict["allocations"])
    with pytest.raises(PermissionDenied):
        services.publish(plan=plan, actor=org.manager_east)


def test_published_plan_refuses_every_edit(org):
    plan = decomposed(make_plan(org.admin, team=org.east), amounts(org))
    services.publish(plan=plan, actor=org.admin)
    plan.refresh_from_db()
    assert plan.state == PlanState.PUBLISHED and plan.published_by == org.admin
    scenario = plan.scenarios.first()
    refusals = [
        lambda: services.calibrate(plan=plan, actor=org.admin),
        lambda: services.scenarios_compute(plan=plan, actor=org.admin),
        lambda: services.scenario_update(scenario=scenario, actor=org.admin, formula="pool"),
        lambda: services.vote_cast(plan=plan, voter=org.rep_a, scenario=scenario),
        lambda: services.baseline_confirm(plan=plan, scenario=scenario, actor=org.director),
        lambda: services.plan_update(plan=plan, actor=org.admin, name="x"),
    ]
    for refuse in refusals:
        with pytest.raises(ValidationError) as caught:
            refuse()
        assert "published" in " ".join(caught.value.messages)
    with pytest.raises(Conflict):
        services.publish(plan=plan, actor=org.admin)


def test_adjustment_approved_writes_a_new_version(org):
    plan = decomposed(make_plan(org.admin, team=org.east), amounts(org))
    services.publish(plan=plan, actor=org.admin)
    with pytest.raises(ValidationError) as caught:
        services.adjustment_request(plan=plan, actor=org.manager_east, changes={}, reason="")
    assert set(caught.value.message_dict) == {"changes", "reason"}
    with pytest.raises(PermissionDenied):  # a rep does not adjust
        services.adjustment_request(
            plan=plan, actor=org.rep_a, changes={org.rep_a.pk: "1"}, reason="x"
        )
    adjustment = services.adjustment_request(
        plan=plan,
        actor=org.manager_east,
        changes={str(org.rep_a.pk): "130000", org.rep_b.pk: Decimal("140000.00")},
        reason="大客户提前签约",
    )
    with pytest.raises(PermissionDenied):
        services.adjustment_approve(adjustment=adjustment, actor=org.manager_east)
    services.adjustment_approve(adjustment=adjustment, actor=org.director, note="同意")
    plan.refresh_from_db()
    adjustment.refresh_from_db()
    assert plan.version == 2 and adjustment.to_version == 2
    assert plan.pool == Decimal("320000.00")  # 130,000 + 140,000 + 50,000
    new = {a.rep_id: a for a in Allocation.objects.filter(plan=plan, version=2)}
    assert new[org.rep_a.pk].amount == Decimal("130000.00") and new[org.rep_a.pk].adjusted
    assert new[org.rep_a.pk].reason == "大客户提前签约"
    assert sum(Decimal(m) for m in new[org.rep_a.pk].monthly) == Decimal("130000.00")
    assert not new[org.rep_c.pk].adjusted and new[org.rep_c.pk].amount == Decimal("50000.00")
    assert Allocation.objects.filter(plan=plan, version=1).count() == 3  # kept
    assert adjustment.history.count() == 2  # requested, approved
    with pytest.raises(Conflict):
        services.adjustment_approve(adjustment=adjustment, actor=org.director)
    with pytest.raises(Conflict):
        services.adjustment_reject(adjustment=adjustment, actor=org.director)


def test_stale_adjustment_is_a_conflict(org):
    plan = decomposed(make_plan(org.admin, team=org.east), amounts(org))
    services.publish(plan=plan, actor=org.admin)
    first = services.adjustment_request(
        plan=plan, actor=org.admin, changes={org.rep_a.pk: "1"}, reason="a"
    )
    second = services.adjustment_request(
        plan=plan, actor=org.admin, changes={org.rep_b.pk: "2"}, reason="b"
    )
    services.adjustment_approve(adjustment=first, actor=org.director)
    with pytest.raises(Conflict):
        services.adjustment_approve(adjustment=second, actor=org.director)
    services.adjustment_reject(adjustment=second, actor=org.director, note="重新提交")
    second.refresh_from_db()
    assert second.state == "rejected" and second.decided_by == org.director
