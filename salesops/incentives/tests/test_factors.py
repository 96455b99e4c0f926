"""A rep's month factors (SPEC I3, I4): customer-success points, the coefficient's inputs
(neutral without data), its clamps and the cap below 6 points."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from salesops.activities.models import ResultTag
from salesops.activities.tests.factories import ActivityFactory, ResultTagFactory
from salesops.aftersales.tests.factories import at, make_nps, make_ticket
from salesops.customers.tests.factories import make_account
from salesops.incentives import factors
from salesops.incentives.models import IncentivePolicy, PayoutPeriod, PeriodState, RepFactors
from salesops.knowledge import pushes
from salesops.knowledge.models import KnowledgeUsage
from salesops.knowledge.tests.factories import make_item

pytestmark = pytest.mark.django_db
MARCH = dt.date(2026, 3, 1)
TZ = timezone.get_default_timezone()
D = Decimal


def moment(day: int, month: int = 3, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, month, day, hour), TZ)


def cs_time(cs, account, hours: str, day: int = 10, month: int = 3):
    seconds = int(D(hours) * 3600)
    return ActivityFactory(
        owner=cs,
        account=account,
        started_at=moment(day, month),
        duration_seconds=seconds,
        tag=tag(),
    )


def tag():
    return ResultTag.objects.first() or ResultTagFactory()


@pytest.fixture
def account(org):
    return make_account(org.rep_a, success_owner=org.cs)


@pytest.mark.parametrize(
    ("hours", "points"), [("0", 0), ("1.99", 0), ("2", 1), ("3.9", 1), ("12", 6), ("25", 10)]
)
def test_cs_points_round_down_and_stop_at_the_maximum(org, account, hours, points):
    if hours != "0":
        cs_time(org.cs, account, hours)
    cs_time(org.cs, account, "5", month=4)  # April: not this month
    ActivityFactory(
        owner=org.rep_a, account=account, started_at=moment(5), duration_seconds=36000, tag=tag()
    )
    row = factors.compute(MARCH, [org.rep_a.pk])[org.rep_a.pk]
    assert row.cs_hours == D(hours).quantize(D("0.01"))
    assert row.cs_points == points
    assert row.explanation["cs"]["points"] == points


def test_no_data_is_neutral_and_the_cap_applies_below_6_points(org, account):
    row = factors.compute(MARCH, [org.rep_a.pk])[org.rep_a.pk]
    assert row.explanation["neutral"] == ["response_hours", "adoption", "nps_change"]
    assert row.explanation["inputs"] == {
        "response_hours": None,
        "response_target": "4.00",
        "adoption": None,
        "nps_change": None,
    }
    assert row.coefficient_raw == D("1.000")
    assert row.explanation["capped"] is True
    assert row.coefficient == D("0.900")
    # 12 h = 6 points: not capped
    cs_time(org.cs, account, "12")
    row = factors.compute(MARCH, [org.rep_a.pk])[org.rep_a.pk]
    assert row.cs_points == 6 and row.coefficient == D("1.000")
    assert row.explanation["capped"] is False
    assert RepFactors.objects.filter(rep=org.rep_a, period=MARCH).count() == 1


def test_inputs_from_tickets_pushes_and_nps(org, account, settings):
    cs_time(org.cs, account, "20")
    # tickets: answered after 2 h and 6 h (mean 4 h = on target)
    make_ticket(
        account, opened_at=at("2026-03-03", "10:00"), first_response_at=at("2026-03-03", "12:00")
    )
    make_ticket(
        account, opened_at=at("2026-03-04", "10:00"), first_response_at=at("2026-03-04", "16:00")
    )
    make_ticket(
        account, opened_at=at("2026-02-04", "10:00"), first_response_at=at("2026-02-05", "16:00")
    )
    # 4 pushes in March, 3 adopted afterwards
    items = [make_item(org.admin) for _ in range(4)]
    with time_machine.travel(moment(2), tick=False):
        for n, item in enumerate(items):
            pushes.push_deliver(item=item, user=org.rep_a, key=f"k{n}")
    with time_machine.travel(moment(20), tick=False):
        for item in items[:3]:
            KnowledgeUsage.objects.create(item=item, user=org.rep_a, action="adopted")
        KnowledgeUsage.objects.create(item=items[3], user=org.rep_a, action="viewed")
    # NPS: Jan–Mar 2 promoters 1 detractor of 4 (+25); Oct–Dec 1 promoter 1 detractor (0)
    for score, day in ((10, dt.date(2026, 1, 5)), (9, dt.date(2026, 3, 5)),
                       (3, dt.date(2026, 2, 5)), (7, dt.date(2026, 3, 9)),
                       (9, dt.date(2025, 11, 5)), (2, dt.date(2025, 12, 5))):  # fmt: skip
        make_nps(account, score=score, responded_on=day)
    make_nps(account, score=0, responded_on=dt.date(2026, 4, 1))  # after the month
    row = factors.compute(MARCH, [org.rep_a.pk])[org.rep_a.pk]
    assert row.response_hours == D("4.00")
    assert row.adoption == D("0.7500")
    assert row.nps_change == D("25.00")
    assert row.explanation["neutral"] == []
    assert row.explanation["counts"] == {"tickets": 2, "pushes": 4, "nps_now": 4, "nps_before": 2}
    # 1 + 0.15 × 0 + 0.2 × 0.25 + 25 / 100 = 1.3
    assert row.coefficient_raw == D("1.300") and row.coefficient == D("1.300")


def test_the_coefficient_is_clamped_to_0_7_and_1_3(org, account):
    policy = IncentivePolicy.current()
    policy.cs_cap_below = 0
    policy.coefficient_formula = "nps_change + 5"
    policy.save()
    assert factors.compute(MARCH, [org.rep_a.pk])[org.rep_a.pk].coefficient == D("1.300")
    policy.coefficient_formula = "adoption - 5"
    policy.save()
    row = factors.compute(MARCH, [org.rep_a.pk])[org.rep_a.pk]
    assert row.coefficient_raw == D("-4.500") and row.coefficient == D("0.700")
    assert row.explanation["clamped"] == "0.700"


def test_a_formula_error_names_the_setting(org):
    policy = IncentivePolicy.current()
    policy.coefficient_formula = "1 / (response_target - response_target)"
    policy.save()
    with pytest.raises(ValidationError) as error:
        factors.compute(MARCH, [org.rep_a.pk])
    assert "coefficient_formula" in error.value.message_dict


def test_a_locked_month_is_refused(org):
    PayoutPeriod.objects.create(month=MARCH, state=PeriodState.LOCKED)
    with pytest.raises(ValidationError) as error:
        factors.compute(MARCH, [org.rep_a.pk])
    assert "2026-03" in str(error.value)
    assert not RepFactors.objects.exists()
