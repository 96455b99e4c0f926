"""Dynamic factors and the default scenarios (T2) on a known data set, by hand; scenario
editing with formula checks."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from salesops.customers.tests.factories import make_account, make_contact
from salesops.pipeline.models import Deal
from salesops.pipeline.tests.factories import make_deal
from salesops.targets import services
from salesops.targets.factors import compute_factors
from salesops.targets.models import Calibration, PlanState, TargetPlan
from salesops.targets.tests.factories import make_plan

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC)


def at(year, month, day):
    return timezone.make_aware(dt.datetime(year, month, day, 10, 0))


def closed(deal, status, created, closed_at):
    Deal.objects.filter(pk=deal.pk).update(status=status, created_at=created, closed_at=closed_at)


@pytest.fixture
def plan(org):
    """East plan, calibrated pool 1,000,000. Deals of members (rep_a, rep_b, rep_c):
    - won, created 2026-03-02: closed 03-13 (9 working days), 03-06 (4), 03-20 (14);
    - lost in the window: 1; lost 2025-01-01 (outside the 12 months): ignored;
    - open: 100,000 at "contact" (10 %) with roles signatory/other/other (immature),
      200,000 at "proposal" (40 %) with signatory, IT lead, finance approver (mature).
    rep_d (South) has an open deal that does not count."""
    plan = make_plan(org.admin, team=org.east)
    Calibration.objects.filter(plan=plan).update(pool=Decimal("1000000.00"))
    TargetPlan.objects.filter(pk=plan.pk).update(
        state=PlanState.CALIBRATED, pool=Decimal("1000000.00")
    )
    for closed_on in (13, 6, 20):
        deal = make_deal(owner=org.rep_a)
        closed(deal, "won", at(2026, 3, 2), at(2026, 3, closed_on))
    closed(make_deal(owner=org.rep_b), "lost", at(2026, 1, 5), at(2026, 2, 10))
    closed(make_deal(owner=org.rep_b), "lost", at(2024, 11, 5), at(2025, 1, 1))
    account = make_account(org.rep_c)
    thin = [make_contact(account, decision_role=role) for role in ("signatory", "other", "other")]
    make_deal(owner=org.rep_c, account=account, amount=Decimal("100000"), contacts=thin)
    full = [
        make_contact(account, decision_role=role)
        for role in ("signatory", "it_lead", "finance_approver")
    ]
    make_deal(
        owner=org.rep_c,
        account=account,
        amount=Decimal("200000"),
        stage_code="proposal",
        contacts=full,
    )
    make_deal(owner=org.rep_d, amount=Decimal("900000"))
    plan.refresh_from_db()
    return plan


def test_factors_by_hand(plan):
    with time_machine.travel(NOW, tick=False):
        factors = compute_factors(plan)
    assert factors == {
        "pool": Decimal("1000000.00"),
        "pipeline": Decimal("90000.00"),  # 100,000 × 10 % + 200,000 × 40 %
        "win_rate": Decimal("0.7500"),  # 3 won, 1 lost
        "cycle_days": Decimal("9.0"),  # median of 4, 9, 14
        "chain_maturity": Decimal("0.5000"),  # 1 of 2 open deals
    }


def test_pipeline_in_cents_rounds_half_up_and_empty_factors_are_zero(org):
    # given open deals with cents only: 1,234.57 and 0.28 at "contact" (10 %), 1,000 at
    # "proposal" (40 %), and no deal closed in the last 12 months
    plan = make_plan(org.admin, team=org.east)
    make_deal(owner=org.rep_a, amount=Decimal("1234.57"))
    make_deal(owner=org.rep_b, amount=Decimal("0.28"))
    make_deal(owner=org.rep_c, amount=Decimal("1000.00"), stage_code="proposal")
    with time_machine.travel(NOW, tick=False):
        factors = compute_factors(plan)
    # 123.457 + 0.028 + 400 = 523.485 → 523.49 (half up); no contacts → no mature chain
    assert factors["pipeline"] == Decimal("523.49")
    assert factors["win_rate"] == Decimal("0.0000")
    assert factors["cycle_days"] == Decimal("0.0")
    assert factors["chain_maturity"] == Decimal("0.0000")


def test_default_scenarios_by_hand(org, plan):
    with time_machine.travel(NOW, tick=False):
        rows = services.scenarios_compute(plan=plan, actor=org.admin)
    results = {s.code: s.result for s in rows}
    assert results == {
        "aggressive": Decimal("1170250.00"),  # 1,150,000 + 90,000 × 0.75 × 0.3
        "steady": Decimal("1013500.00"),  # 1,000,000 + 90,000 × 0.75 × 0.2 × 1
        "conservative": Decimal("956750.00"),  # 950,000 + 90,000 × 0.75 × 0.5 × 0.2
    }
    assert rows[0].factors["pipeline"] == "90000.00"


def test_negative_result_is_zero_and_formula_is_checked(org, plan):
    scenario = services.scenario_create(
        plan=plan,
        actor=org.admin,
        code="floor",
        name_zh="底线",
        name_en="Floor",
        formula="0 - pool",
    )
    services.scenarios_compute(plan=plan, actor=org.admin)
    scenario.refresh_from_db()
    assert scenario.result == Decimal("0.00") and scenario.position == 3
    with pytest.raises(ValidationError) as caught:
        services.scenario_update(scenario=scenario, actor=org.admin, formula="pool * bogus")
    assert "formula" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.scenario_create(
            plan=plan, actor=org.admin, code="floor", name_zh="", name_en="x", formula="pool *"
        )
    assert set(caught.value.message_dict) == {"code", "name_zh", "formula"}
    services.scenario_update(scenario=scenario, actor=org.admin, formula="pool / 2")
    scenario.refresh_from_db()
    assert scenario.result is None  # a new formula needs a new computation
    services.scenario_delete(scenario=scenario, actor=org.admin)
    assert plan.scenarios.count() == 3


def test_only_configurers_edit_scenarios(org, plan):
    with pytest.raises(PermissionDenied):
        services.scenarios_compute(plan=plan, actor=org.manager_east)
    with pytest.raises(PermissionDenied):
        services.scenario_create(
            plan=plan, actor=org.rep_a, code="x", name_zh="x", name_en="x", formula="pool"
        )


def test_scenarios_need_a_calibration(org):
    draft = make_plan(org.admin, team=org.south)
    with pytest.raises(ValidationError):
        services.scenarios_compute(plan=draft, actor=org.admin)
