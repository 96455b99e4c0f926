"""Three-source calibration (T1) on a known data set, computed by hand."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from salesops.revenue.tests.factories import make_contract
from salesops.targets import services
from salesops.targets.models import Allocation, Measure, PlanState
from salesops.targets.tests.factories import make_plan

pytestmark = pytest.mark.django_db

SEASONAL = ["1.1", "1", "0.9", "1", "1", "1.2", "1", "1", "1", "1", "1", "0.5"]


def signed(owner, day, amount):
    return make_contract(
        owner=owner,
        amount=Decimal(amount),
        signed_on=day,
        instalments=[{"due_on": day, "percent": "100"}],
    )


@pytest.fixture
def east_plan(org):
    """Signed contracts of the East subtree in 2025 (the 12 months before fiscal 2026):
    rep_a 120,000 (Jan) + 240,000 (Jun) = 360,000; rep_b 60,000 (Mar); rep_c 24,000 (Dec,
    Shanghai is under East). Outside: rep_d (South) and rep_a's contracts of Dec 2024 and
    Jan 2026."""
    signed(org.rep_a, dt.date(2025, 1, 15), "120000")
    signed(org.rep_a, dt.date(2025, 6, 10), "240000")
    signed(org.rep_b, dt.date(2025, 3, 5), "60000")
    signed(org.rep_c, dt.date(2025, 12, 20), "24000")
    signed(org.rep_d, dt.date(2025, 2, 1), "500000")
    signed(org.rep_a, dt.date(2024, 12, 31), "99999")
    signed(org.rep_a, dt.date(2026, 1, 5), "77777")
    return make_plan(org.admin, team=org.east, fiscal_year=2026, measure=Measure.CONTRACTS)


def test_three_sources_by_hand(org, east_plan):
    calibration = services.calibrate(
        plan=east_plan,
        actor=org.admin,
        seasonal_index=SEASONAL,
        bidding_index="1.05",
        top_n=2,
        utilisation="0.8",
    )
    months = {row["month"]: Decimal(row["amount"]) for row in calibration.history_months}
    assert list(months)[0] == "2025-01" and list(months)[-1] == "2025-12" and len(months) == 12
    assert months["2025-01"] == Decimal("120000.00") and months["2025-02"] == 0
    assert calibration.historical == Decimal("444000.00")
    # (120,000×1.1 + 60,000×0.9 + 240,000×1.2 + 24,000×0.5) × 1.05 = 486,000 × 1.05
    assert calibration.market == Decimal("510300.00")
    # top 2 of the three members: rep_a 30,000/month, rep_b 5,000/month → 17,500
    assert calibration.top_monthly == Decimal("17500.00")
    assert calibration.headcount == 3
    # 17,500 × 3 × 12 × 0.8
    assert calibration.manpower == Decimal("504000.00")
    # 0.5 × 444,000 + 0.3 × 510,300 + 0.2 × 504,000
    assert calibration.pool == Decimal("475890.00")
    east_plan.refresh_from_db()
    assert east_plan.pool == Decimal("475890.00") and east_plan.state == PlanState.CALIBRATED


def test_typed_headcount_and_formula(org, east_plan):
    services.calibrate(
        plan=east_plan, actor=org.admin, seasonal_index=SEASONAL, top_n=2, utilisation="0.8"
    )
    calibration = services.calibrate(
        plan=east_plan, actor=org.admin, headcount=5, formula="max(historical, manpower)"
    )
    assert calibration.headcount == 5
    assert calibration.manpower == Decimal("840000.00")  # 17,500 × 5 × 12 × 0.8
    assert calibration.pool == Decimal("840000.00")


def test_inputs_are_checked_together(org, east_plan):
    with pytest.raises(ValidationError) as caught:
        services.calibrate(
            plan=east_plan,
            actor=org.admin,
            seasonal_index=["1"] * 11,
            bidding_index="-1",
            formula="historical + unknown",
        )
    assert set(caught.value.message_dict) == {"seasonal_index", "bidding_index", "formula"}
    with pytest.raises(ValidationError) as caught:
        services.calibrate(plan=east_plan, actor=org.admin, formula="historical +")
    assert "formula" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.calibrate(plan=east_plan, actor=org.admin, formula="0 - historical")
    assert "formula" in caught.value.message_dict
    with pytest.raises(ValidationError):
        services.calibrate(plan=east_plan, actor=org.admin, seasonal_index=["1"] * 11 + ["-1"])


def test_only_configurers_calibrate(org, east_plan):
    for user in (org.rep_a, org.manager_east, org.finance):
        with pytest.raises(PermissionDenied):
            services.calibrate(plan=east_plan, actor=user)


def test_recalibrating_goes_back_and_clears_later_steps(org, east_plan):
    services.calibrate(plan=east_plan, actor=org.admin)
    services.scenarios_compute(plan=east_plan, actor=org.admin)
    steady = east_plan.scenarios.get(code="steady")
    services.baseline_confirm(plan=east_plan, scenario=steady, actor=org.director)
    east_plan.refresh_from_db()
    assert east_plan.state == PlanState.SCENARIO_CHOSEN and not east_plan.vote_open
    Allocation.objects.create(
        plan=east_plan,
        version=1,
        rep=org.rep_a,
        team=org.east,
        quadrant="low_low",
        weight=1,
        share=1,
        amount=east_plan.pool,
    )
    services.calibrate(plan=east_plan, actor=org.admin, bidding_index="2")
    east_plan.refresh_from_db()
    assert east_plan.state == PlanState.CALIBRATED
    assert east_plan.baseline is None and east_plan.baseline_amount is None
    assert east_plan.vote_open
    assert not Allocation.objects.filter(plan=east_plan).exists()
