"""The mentor reward (SPEC I5): 15 % of the mentee's first deal, 5 % of the next three,
nothing for the fifth or outside the pair's dates; deducted from the mentee only when the
policy says; paid as each tranche of the mentee's bonus is released."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from salesops.incentives import mentor, tranches
from salesops.incentives.models import (
    IncentivePolicy,
    LedgerLine,
    LineKind,
    LineState,
    MentorPair,
    PayoutPeriod,
    PeriodState,
)
from salesops.org.models import Role
from salesops.org.tests.factories import UserFactory
from salesops.revenue.tests.factories import make_payment

from .test_tranches import accrue, at, contract_of

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture
def pair():
    mentor_user = UserFactory(role=Role.REP, display_name="Mentor Ma")
    mentee = UserFactory(role=Role.REP, display_name="Mentee Mo")
    return MentorPair.objects.create(
        mentor=mentor_user, mentee=mentee, starts_on=D(2026, 1, 1), ends_on=D(2026, 12, 31)
    )


def mentor_lines(pair) -> list[LedgerLine]:
    return list(
        LedgerLine.objects.filter(rep=pair.mentor, kind=LineKind.MENTOR)
        .select_related("source_line")
        .order_by("source_line__contract__signed_on", "pk")
    )


def signed_deals(pair, days, base="10000.00"):
    """Contracts of the mentee signed on ``days``, each with an earned (not deferred) bonus."""
    deals = []
    for day in days:
        contract = contract_of(pair.mentee, signed_on=day)
        accrue(contract, month=day.replace(day=1), base=base, deferred=False)
        deals.append(contract)
    return deals


def test_first_deal_15_percent_next_three_5_percent_fifth_nothing(pair):
    days = [D(2026, 2, 1), D(2026, 2, 10), D(2026, 3, 1), D(2026, 3, 5), D(2026, 4, 1)]
    deals = signed_deals(pair, days)
    lines = mentor_lines(pair)
    assert [line.amount for line in lines] == [
        Decimal("1500.00"),
        Decimal("500.00"),
        Decimal("500.00"),
        Decimal("500.00"),
    ]
    assert [line.source_line.contract_id for line in lines] == [d.pk for d in deals[:4]]
    first = lines[0]
    assert (first.state, first.period) == (LineState.EARNED, D(2026, 2, 1))
    assert first.key == f"mentor:{first.source_line_id}"
    assert first.explanation["ordinal"] == 1
    assert first.explanation["percent"] == "15.00"
    assert first.explanation["mentee"] == {"id": pair.mentee_id, "name": "Mentee Mo"}
    assert first.explanation["mentee_line"] == first.source_line_id
    assert {"model": "revenue.contract", "id": deals[0].pk, "label": deals[0].number} in (
        first.explanation["records"]
    )
    assert lines[3].explanation["ordinal"] == 4
    # not deducted from the mentee by default
    assert not LedgerLine.objects.filter(kind=LineKind.MENTOR_DEDUCTION).exists()


def test_the_ordinal_follows_the_signing_day_not_the_order_of_accrual(pair):
    later = contract_of(pair.mentee, signed_on=D(2026, 5, 1))
    earlier = contract_of(pair.mentee, signed_on=D(2026, 4, 1))
    accrue(later, month=D(2026, 5, 1), deferred=False)
    accrue(earlier, month=D(2026, 4, 1), deferred=False)
    by_contract = {line.contract_id: line.explanation["ordinal"] for line in mentor_lines(pair)}
    assert by_contract == {earlier.pk: 1, later.pk: 2}


def test_no_reward_outside_the_pair_dates(pair):
    before = contract_of(pair.mentee, signed_on=D(2025, 12, 20))
    after = contract_of(pair.mentee, signed_on=D(2027, 1, 5))
    accrue(before, month=D(2025, 12, 1), deferred=False)
    accrue(after, month=D(2027, 1, 1), deferred=False)
    assert mentor_lines(pair) == []
    # and the contract before the pair does not use up the "first deal"
    [inside] = signed_deals(pair, [D(2026, 6, 1)])
    [line] = mentor_lines(pair)
    assert line.explanation["ordinal"] == 1 and line.amount == Decimal("1500.00")
    assert line.contract_id == inside.pk


def test_no_reward_for_someone_who_is_nobodys_mentee():
    contract = contract_of()
    [line] = accrue(contract, deferred=False)
    assert mentor.reward(line) == []
    assert not LedgerLine.objects.filter(kind=LineKind.MENTOR).exists()


def test_the_mentee_is_deducted_only_when_the_policy_says_so(pair):
    policy = IncentivePolicy.current()
    policy.mentor_deducts = True
    policy.save()
    [deal] = signed_deals(pair, [D(2026, 2, 1)])
    [reward] = mentor_lines(pair)
    [deduction] = LedgerLine.objects.filter(kind=LineKind.MENTOR_DEDUCTION)
    assert deduction.rep_id == pair.mentee_id
    assert deduction.amount == Decimal("-1500.00")
    assert deduction.state == LineState.EARNED
    assert deduction.key == f"mentor-deduct:{reward.source_line_id}"
    assert deduction.source_line_id == reward.source_line_id
    assert deduction.contract_id == deal.pk


def test_the_reward_is_written_once(pair):
    [deal] = signed_deals(pair, [D(2026, 2, 1)])
    source = LedgerLine.objects.get(kind=LineKind.DEAL, contract=deal)
    again = mentor.reward(source)
    assert [line.pk for line in again] == [line.pk for line in mentor_lines(pair)]
    assert len(mentor_lines(pair)) == 1


def test_each_released_tranche_of_the_mentee_pays_the_mentor(pair):
    contract = contract_of(pair.mentee)  # signed 2026-03-02: the mentee's first
    accrue(contract, base="10000.00")
    assert mentor_lines(pair) == []  # pending tranches pay nothing yet
    with at(D(2026, 3, 20)):
        make_payment(contract, "30000.00", received_on=D(2026, 3, 20))
        result = tranches.sweep()
    assert (result["released"], result["mentor"]) == (1, 1)
    [line] = mentor_lines(pair)
    assert line.source_line.kind == LineKind.RELEASE
    assert line.amount == Decimal("225.00")  # 15 % of the 1,500 released
    assert line.period == D(2026, 3, 1)


def test_a_forfeited_tranche_pays_no_mentor(pair):
    contract = contract_of(pair.mentee)
    accrue(contract)
    with at(D(2027, 5, 2)):
        tranches.sweep()  # quality released, renewal forfeited (no renewal)
    [line] = mentor_lines(pair)
    assert line.source_line.tranche == "quality"


def test_a_reward_in_a_locked_month_goes_to_the_next_open_one():
    mentee = UserFactory(role=Role.REP)
    contract = contract_of(mentee, signed_on=D(2026, 2, 1))
    [line] = accrue(contract, month=D(2026, 3, 1), deferred=False)  # no pair yet: no reward
    pair = MentorPair.objects.create(
        mentor=UserFactory(role=Role.REP), mentee=mentee, starts_on=D(2026, 1, 1)
    )
    PayoutPeriod.objects.create(month=D(2026, 3, 1), state=PeriodState.LOCKED)
    [reward] = mentor.reward(line)
    assert reward.period == D(2026, 4, 1)
    assert reward.rep_id == pair.mentor_id
