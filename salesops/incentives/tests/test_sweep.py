"""The tranche sweep (SPEC I2), driven by the clock and by payments, complaints and
renewals: each tranche released or forfeited once, by the event that decided it, into
the first open month."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from salesops.aftersales import services as aftersales
from salesops.aftersales.tests.factories import make_complaint, make_renewal
from salesops.core import clock, sweeps
from salesops.incentives import tranches
from salesops.incentives.models import (
    IncentivePolicy,
    IncentiveQueue,
    LedgerLine,
    LineKind,
    LineState,
    OpenTranche,
    PaymentRelease,
    PayoutPeriod,
    PeriodState,
    Tranche,
)
from salesops.incentives.sweep import CHECK_NAME, SWEEP_NAME
from salesops.revenue.tests.factories import make_payment

from .test_tranches import accrue, at, contract_of

pytestmark = pytest.mark.django_db

D = dt.date


def settlements(tranche=None):
    lines = LedgerLine.objects.filter(kind__in=[LineKind.RELEASE, LineKind.FORFEIT])
    if tranche:
        lines = lines.filter(tranche=tranche)
    return list(lines.select_related("settles").order_by("pk"))


def sweep_on(day: dt.date) -> dict:
    with at(day):
        return tranches.sweep()


@pytest.fixture
def deal():
    """A ¥100,000 contract signed 2026-03-02 (30 / 60 / 10 plan) with a deferred ¥10,000
    bonus accrued in March; the contract-save queue already drained."""
    contract = contract_of()
    accrue(contract, base="10000.00")
    sweep_on(D(2026, 3, 2))
    assert not settlements()
    return contract


# --- payment --------------------------------------------------------------------------------


def test_payment_tranches_are_released_per_instalment_as_payments_arrive(deal):
    with at(D(2026, 3, 10)):
        make_payment(deal, "20000.00", received_on=D(2026, 3, 10))
    assert sweep_on(D(2026, 3, 10))["released"] == 0  # 20,000 < 30,000: not yet
    with at(D(2026, 4, 3)):
        second = make_payment(deal, "50000.00", received_on=D(2026, 4, 3))
    result = sweep_on(D(2026, 4, 3))
    assert result["released"] == 1 and result["queued"] == 1
    [release] = settlements(Tranche.PAYMENT)
    assert release.settles.key == f"deal:{deal.pk}:payment:1"
    assert (release.kind, release.state) == (LineKind.RELEASE, LineState.EARNED)
    assert release.amount == Decimal("1500.00")
    assert release.period == D(2026, 4, 1)  # the crossing payment's month
    event = release.explanation["event"]
    assert (event["model"], event["id"]) == ("revenue.payment", second.pk)
    assert (event["paid"], event["threshold"]) == ("70000.00", "30000.00")
    assert {"model": "revenue.contract", "id": deal.pk, "label": deal.number} in event["records"]
    assert release.reason
    with at(D(2026, 7, 1)):
        make_payment(deal, "30000.00", received_on=D(2026, 7, 1))
    assert sweep_on(D(2026, 7, 1))["released"] == 2  # 100,000 reaches 90,000 and 100,000
    assert sorted(line.settles.key for line in settlements(Tranche.PAYMENT)) == [
        f"deal:{deal.pk}:payment:{n}" for n in (1, 2, 3)
    ]
    assert not OpenTranche.objects.filter(tranche=Tranche.PAYMENT).exists()


def test_an_early_payment_is_released_no_earlier_than_the_tranche_month():
    contract = contract_of()
    with at(D(2026, 3, 20)):
        make_payment(contract, "100000.00", received_on=D(2026, 3, 20))
    accrue(contract, month=D(2026, 5, 1))  # accrued late, in May
    assert sweep_on(D(2026, 5, 3))["released"] == 3
    assert {line.period for line in settlements()} == {D(2026, 5, 1)}


def test_in_full_policy_releases_only_when_the_contract_is_paid_in_full():
    policy = IncentivePolicy.current()
    policy.payment_release = PaymentRelease.FULL
    policy.save()
    contract = contract_of()
    accrue(contract)
    with at(D(2026, 4, 1)):
        make_payment(contract, "99999.99", received_on=D(2026, 4, 1))
    assert sweep_on(D(2026, 4, 1))["released"] == 0
    with at(D(2026, 4, 2)):
        make_payment(contract, "0.01", received_on=D(2026, 4, 2))
    assert sweep_on(D(2026, 4, 2))["released"] == 1
    [release] = settlements()
    assert release.amount == Decimal("5000.00")


# --- quality --------------------------------------------------------------------------------


def test_quality_tranche_released_after_six_quiet_months(deal):
    assert sweep_on(D(2026, 9, 1))["released"] == 0  # due 2026-09-02
    with at(D(2026, 8, 1)):
        make_complaint(deal.account, severity="minor", raised_on=D(2026, 8, 1))
    result = sweep_on(D(2026, 9, 2))
    assert result["released"] == 1
    [release] = settlements(Tranche.QUALITY)
    assert release.amount == Decimal("3000.00")
    assert release.period == D(2026, 9, 1)
    assert release.explanation["event"]["kind"] == "quiet_period"
    assert release.explanation["on"] == "2026-09-02"


def test_a_major_complaint_forfeits_the_quality_tranche_at_once(deal):
    with at(D(2026, 5, 10)):
        complaint = make_complaint(deal.account, severity="major", raised_on=D(2026, 5, 9))
    result = sweep_on(D(2026, 5, 10))
    assert (result["forfeited"], result["released"]) == (1, 0)
    [forfeit] = settlements(Tranche.QUALITY)
    assert (forfeit.kind, forfeit.state) == (LineKind.FORFEIT, LineState.FORFEITED)
    assert forfeit.period == D(2026, 5, 1)
    assert forfeit.explanation["event"]["id"] == complaint.pk
    assert forfeit.explanation["event"]["model"] == "aftersales.complaint"
    # at the due date nothing more happens, and the renewal tranche is untouched
    assert sweep_on(D(2026, 9, 2)) == {"released": 0, "forfeited": 0, "mentor": 0, "queued": 0}
    assert OpenTranche.objects.filter(tranche=Tranche.RENEWAL).exists()


def test_a_complaint_made_major_later_forfeits_and_one_after_the_period_does_not(deal):
    with at(D(2026, 9, 5)):
        late = make_complaint(deal.account, severity="major", raised_on=D(2026, 9, 5))
    with at(D(2026, 6, 1)):
        minor = make_complaint(deal.account, severity="minor", raised_on=D(2026, 6, 1))
    assert sweep_on(D(2026, 6, 1))["forfeited"] == 0  # the late one is not raised yet
    with at(D(2026, 6, 2)):
        aftersales.complaint_update(actor=deal.owner, complaint=minor, severity="major")
    assert sweep_on(D(2026, 6, 2))["forfeited"] == 1
    assert settlements(Tranche.QUALITY)[0].explanation["event"]["id"] == minor.pk
    assert late.pk != minor.pk


# --- renewal --------------------------------------------------------------------------------


def test_a_won_renewal_releases_the_renewal_tranche(deal):
    with at(D(2027, 3, 20)):
        renewal = make_renewal(
            deal.account, due_on=D(2027, 3, 2), status="renewed", closed_on=D(2027, 3, 20)
        )
    result = sweep_on(D(2027, 3, 20))
    [release] = settlements(Tranche.RENEWAL)
    assert result["released"] >= 1
    assert (release.kind, release.amount) == (LineKind.RELEASE, Decimal("2000.00"))
    assert release.explanation["event"]["id"] == renewal.pk
    assert release.period == D(2027, 3, 1)


def test_a_lost_renewal_forfeits_the_renewal_tranche(deal):
    with at(D(2027, 2, 10)):
        make_renewal(
            deal.account,
            due_on=D(2027, 3, 2),
            status="lost",
            closed_on=D(2027, 2, 10),
            lost_reason="预算取消",
        )
    sweep_on(D(2027, 2, 10))
    [forfeit] = settlements(Tranche.RENEWAL)
    assert forfeit.kind == LineKind.FORFEIT
    assert forfeit.explanation["event"]["status"] == "lost"


def test_the_renewal_tranche_is_forfeited_when_the_grace_runs_out(deal):
    # due 2027-03-02, 60 days' grace: the last day is 2027-05-01
    with at(D(2027, 1, 5)):
        make_renewal(deal.account, due_on=D(2027, 3, 2))  # still pending
    assert sweep_on(D(2027, 5, 1))["forfeited"] == 0
    assert sweep_on(D(2027, 5, 2))["forfeited"] == 1
    [forfeit] = settlements(Tranche.RENEWAL)
    assert forfeit.explanation["event"] == {
        "kind": "deadline",
        "label": "no renewal by 2027-05-01",
        "deadline": "2027-05-01",
        "records": [],
    }
    assert "2027-05-01" in forfeit.reason
    assert forfeit.period == D(2027, 5, 1)


def test_a_renewal_closed_before_the_signing_or_after_the_grace_decides_nothing(deal):
    with at(D(2026, 3, 1)):
        make_renewal(deal.account, due_on=D(2026, 3, 1), status="renewed", closed_on=D(2026, 3, 1))
    assert sweep_on(D(2026, 3, 3))["released"] == 0
    with at(D(2027, 5, 2)):
        make_renewal(deal.account, due_on=D(2027, 3, 2), status="renewed", closed_on=D(2027, 5, 2))
        assert tranches.sweep()["forfeited"] == 1  # one day late
    assert settlements(Tranche.RENEWAL)[0].kind == LineKind.FORFEIT


# --- once, into an open month, cheaply --------------------------------------------------------


def test_running_the_sweep_twice_settles_once(deal):
    with at(D(2026, 3, 20)):
        make_payment(deal, "30000.00", received_on=D(2026, 3, 20))
        first = tranches.sweep()
        tranches.queue_contracts([deal.pk])  # queued again: nothing new to decide
        second = tranches.sweep()
    assert first["released"] == 1
    assert (second["released"], second["queued"]) == (0, 1)
    assert len(settlements()) == 1
    with at(D(2026, 9, 3)):
        assert tranches.sweep()["released"] == 1  # quality
        assert tranches.sweep()["released"] == 0
    assert len(settlements()) == 2


def test_a_settlement_while_its_month_is_locked_lands_in_the_next_open_month(deal):
    with at(D(2026, 4, 20)):
        make_payment(deal, "30000.00", received_on=D(2026, 4, 20))
    PayoutPeriod.objects.create(month=D(2026, 4, 1), state=PeriodState.LOCKED)
    sweep_on(D(2026, 5, 2))
    [release] = settlements()
    assert release.period == D(2026, 5, 1)
    assert release.explanation["on"] == "2026-04-20"


def test_nothing_due_is_a_handful_of_queries(deal, django_assert_max_num_queries):
    with at(D(2026, 4, 1)):
        with django_assert_max_num_queries(4):
            assert tranches.sweep() == {"released": 0, "forfeited": 0, "mentor": 0, "queued": 0}


def test_the_sweep_finds_what_is_due_through_the_open_tranche_index(deal):
    """The date part reads ``OpenTranche`` by ``(tranche, due_on)``: a tranche whose row
    is gone is never looked at (the ledger is not scanned)."""
    OpenTranche.objects.filter(tranche=Tranche.QUALITY).delete()
    assert sweep_on(D(2026, 9, 3))["released"] == 0
    assert not settlements(Tranche.QUALITY)


def test_a_queued_row_read_by_the_sweep_is_removed_and_an_empty_queue_stays_empty(deal):
    tranches.queue_accounts([deal.account_id])
    assert sweep_on(D(2026, 4, 1))["queued"] == 1
    assert not IncentiveQueue.objects.exists()


def test_check_all_catches_payments_that_bypassed_the_queue(deal):
    with at(D(2026, 4, 1)):
        make_payment(deal, "95000.00", received_on=D(2026, 4, 1))
        make_complaint(deal.account, severity="major", raised_on=D(2026, 4, 1))
    IncentiveQueue.objects.all().delete()  # as if written by SQL
    assert sweep_on(D(2026, 4, 2))["released"] == 0
    with at(D(2026, 4, 2)):
        result = tranches.check_all()
    assert (result["released"], result["forfeited"]) == (2, 1)
    with at(D(2026, 4, 3)):
        again = tranches.check_all()
    assert (again["released"], again["forfeited"]) == (0, 0)


def test_the_sweeps_are_registered_and_report_what_they_did(deal):
    registered = {s.name: s for s in sweeps.registered()}
    assert registered[SWEEP_NAME].every_minutes == 5
    assert registered[CHECK_NAME].every_minutes == 24 * 60
    with at(D(2026, 3, 20)):
        make_payment(deal, "30000.00", received_on=D(2026, 3, 20))
        assert registered[SWEEP_NAME].fn(clock.now()) == "1 released, 1 queued read"
        assert registered[CHECK_NAME].fn(clock.now()) == ""
