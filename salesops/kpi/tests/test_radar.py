"""The capability radar (K5): dimension formulas over metric values clamped to 0–100, a
dimension without data left out, and ``store_quarter``'s upsert of RadarScore rows with
the team average and the inputs (read by the K8 gap alert).

Activities of the standard month (factories_me): rep_a 4 calls + 2 visits, rep_b 2 + 1,
rep_c 2 + 1, rep_d 1 + 0; July 2026 is in Q3.
"""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from salesops.kpi import radar
from salesops.kpi.models import RadarDimension, RadarScore

from .factories import make_metric
from .factories_me import NOW, log, scored_month

pytestmark = pytest.mark.django_db
Q3 = (dt.date(2026, 7, 1), dt.date(2026, 9, 30))


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def dimensions(org):
    scored_month(org)
    make_metric(
        "avg_minutes",
        filter='kind == "meeting"',
        aggregate="avg",
        field="duration_minutes",
    )
    RadarDimension.objects.update(is_active=False)  # the built-in axes
    rows = [
        ("hunting", "calls * 20"),
        ("mix", "call_share * 100"),
        ("floor", "visits - 10"),
        ("meetings", "avg_minutes"),
        ("broken", "nope + 1"),
    ]
    for order, (code, formula) in enumerate(rows):
        RadarDimension.objects.create(
            code=code, name_zh=code, name_en=code.title(), formula=formula, order=order
        )


def test_values_evaluate_clamp_and_leave_out_what_has_no_data(org, dimensions):
    found = radar.values([org.rep_a.pk, org.rep_d.pk], *Q3)
    assert found[org.rep_a.pk] == {
        "hunting": Decimal("80.00"),
        "mix": Decimal("66.67"),
        "floor": Decimal("0.00"),  # 2 - 10 clamped
    }
    assert found[org.rep_d.pk]["hunting"] == Decimal("20.00")
    assert found[org.rep_d.pk]["mix"] == Decimal("100.00")


def test_clamped_at_100_and_errors_are_explained(org, dimensions):
    log(org.rep_a, "call", 2)  # 6 calls → 120 → 100
    result = radar.evaluate_users([org.rep_a.pk], *Q3)
    axes = result.axes[org.rep_a.pk]
    assert axes["hunting"].value == Decimal("100.00")
    assert axes["hunting"].inputs == {"calls": "6.0000"}
    assert axes["meetings"].value is None and "avg_minutes" in axes["meetings"].error
    assert axes["broken"].value is None and "nope" in result.errors["broken"]


def test_store_quarter_upserts_rows_with_team_average_and_inputs(org, dimensions):
    written = radar.store_quarter(*Q3)
    # 4 scored reps × 3 computable dimensions; managers are not in the rep scheme.
    assert written == 12 and RadarScore.objects.count() == 12
    a = RadarScore.objects.get(user=org.rep_a, dimension="hunting")
    assert (a.value, a.team_id, a.period_end) == (Decimal("80.00"), org.east.pk, Q3[1])
    assert a.team_average == Decimal("60.00")  # rep_a 80, rep_b 40
    assert a.inputs == {"formula": "calls * 20", "metrics": {"calls": "4.0000"}}
    d = RadarScore.objects.get(user=org.rep_d, dimension="hunting")
    assert d.team_average == Decimal("20.00")  # alone in South

    log(org.rep_b, "call", 2)
    assert radar.store_quarter(*Q3) == 12
    assert RadarScore.objects.count() == 12
    a.refresh_from_db()
    assert a.team_average == Decimal("80.00")  # rep_b now 80 too
    assert RadarScore.objects.get(user=org.rep_b, dimension="hunting").value == 80


def test_for_user_reads_a_stored_past_quarter_and_computes_the_current_one(org, dimensions):
    q2 = (dt.date(2026, 4, 1), dt.date(2026, 6, 30))
    RadarDimension.objects.filter(code__in=["meetings", "broken"]).update(is_active=False)
    for code in ("hunting", "mix", "floor"):
        RadarScore.objects.create(
            user=org.rep_a,
            dimension=code,
            period_start=q2[0],
            period_end=q2[1],
            value=Decimal("42"),
            team_average=Decimal("50"),
            inputs={"formula": "x", "metrics": {"calls": "2"}},
        )
    past = radar.for_user(org.rep_a, *q2)
    assert past["stored"] and [a["value"] for a in past["axes"]] == [Decimal("42")] * 3
    now = radar.for_user(org.rep_a, *Q3)
    assert not now["stored"]
    hunting = now["axes"][0]
    assert hunting["value"] == Decimal("80.00")
    assert hunting["team_average"] == Decimal("60.00")
    assert hunting["formula"] == "calls * 20"


def test_quarter_bounds():
    assert radar.quarter_bounds(dt.date(2026, 11, 3)) == (
        dt.date(2026, 10, 1),
        dt.date(2026, 12, 31),
    )
    assert radar.previous_quarter(dt.date(2026, 1, 1)) == (
        dt.date(2025, 10, 1),
        dt.date(2025, 12, 31),
    )
