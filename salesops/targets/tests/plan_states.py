"""Put a plan straight into a later state for tests of the later steps (the
decomposition is another area's service: its allocations are written directly here)."""

from __future__ import annotations

from decimal import Decimal

from salesops.targets.models import Allocation, Calibration, PlanState, TargetPlan

EQUAL_MONTHS = ["8333.33"] * 8 + ["8333.34"] * 4  # 100,000.00


def calibrated(plan, pool="300000.00") -> TargetPlan:
    Calibration.objects.filter(plan=plan).update(pool=Decimal(pool))
    TargetPlan.objects.filter(pk=plan.pk).update(state=PlanState.CALIBRATED, pool=Decimal(pool))
    plan.refresh_from_db()
    return plan


def decomposed(plan, amounts: dict) -> TargetPlan:
    """``amounts``: {rep: "amount"}; the pool is their sum."""
    total = sum((Decimal(a) for a in amounts.values()), Decimal("0.00"))
    calibrated(plan, str(total))
    for rep, amount in amounts.items():
        Allocation.objects.create(
            plan=plan,
            version=plan.version,
            rep=rep,
            team=rep.team,
            quadrant="low_low",
            weight=Decimal(1),
            share=(Decimal(amount) / total).quantize(Decimal("0.00000001")),
            amount=Decimal(amount),
            monthly=[str(m) for m in _months(Decimal(amount))],
        )
    TargetPlan.objects.filter(pk=plan.pk).update(state=PlanState.DECOMPOSED)
    plan.refresh_from_db()
    return plan


def _months(amount):
    from salesops.targets.adjustments import largest_remainder

    return largest_remainder(amount, [1] * 12)
