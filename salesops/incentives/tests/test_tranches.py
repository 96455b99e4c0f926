"""Accruing a deal bonus as tranches (SPEC I2): the 50/30/20 split to the cent, per
instalment or in full; accrued once; the bulk form writes exactly what the per-contract
form writes; the queue and the signals that fill it.

The helpers at the top (``at``, ``accrue``, ``contract_of``) are shared with
``test_sweep`` and ``test_mentor``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from salesops.aftersales.tests.factories import make_complaint, make_renewal
from salesops.core import unitofwork
from salesops.core.money import to_money
from salesops.incentives import ledger, tranches
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
    QueueKind,
    Tranche,
)
from salesops.org.models import Role
from salesops.org.tests.factories import UserFactory
from salesops.revenue import billing
from salesops.revenue.tests.factories import make_contract, make_payment
from salesops.targets.allocation import largest_remainder

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
SIGNED = dt.date(2026, 3, 2)  # the contract factory's signing day
MARCH = dt.date(2026, 3, 1)


def at(day: dt.date, hour: int = 10):
    """Move the clock (``salesops.core.clock``) to ``day`` in Shanghai, as KPI tests do."""
    return time_machine.travel(
        dt.datetime(day.year, day.month, day.day, hour, tzinfo=SH), tick=False
    )


def contract_of(rep=None, **data):
    """A signed ¥100,000 contract (30 / 60 / 10 plan) of ``rep``, signed 2026-03-02
    unless ``signed_on=`` says otherwise (the plan then follows the signing day)."""
    rep = rep or UserFactory(role=Role.REP)
    signed = data.get("signed_on", SIGNED)
    if signed != SIGNED and "instalments" not in data:  # the factory's plan starts 03-16
        data["instalments"] = [
            {"due_on": signed + dt.timedelta(days=days), "percent": pct}
            for days, pct in ((14, "30"), (120, "60"), (300, "10"))
        ]
    with at(signed):
        return make_contract(owner=rep, **data)


def item(contract, base="10000.00", coefficient=None, deferred=True, **extra) -> dict:
    return {
        "contract": contract,
        "rep_id": contract.owner_id,
        "base": Decimal(base),
        "coefficient": Decimal(coefficient) if coefficient is not None else None,
        "plan_version": None,
        "formula": "contract_amount * 0.1",
        "deferred": deferred,
        "explanation": {"inputs": {"contract_amount": str(contract.amount)}, **extra},
    }


def accrue(contract, month=MARCH, **kwargs) -> list[LedgerLine]:
    return tranches.accrue_deal(**item(contract, **kwargs), month=month)


def by_key(lines) -> dict[str, LedgerLine]:
    return {line.key: line for line in lines}


# --- the split ------------------------------------------------------------------------------


def test_deferred_bonus_splits_50_30_20_and_the_payment_half_per_instalment():
    contract = contract_of()
    lines = by_key(accrue(contract, base="10000.00", coefficient="1.1"))
    pk = contract.pk
    assert sorted(lines) == sorted(
        [
            f"deal:{pk}:payment:1",
            f"deal:{pk}:payment:2",
            f"deal:{pk}:payment:3",
            f"deal:{pk}:quality",
            f"deal:{pk}:renewal",
        ]
    )
    # 11,000 = 5,500 at payment (30/60/10 → 1,650 / 3,300 / 550), 3,300, 2,200
    amounts = {key.split(":", 2)[2]: line.amount for key, line in lines.items()}
    assert amounts == {
        "payment:1": Decimal("1650.00"),
        "payment:2": Decimal("3300.00"),
        "payment:3": Decimal("550.00"),
        "quality": Decimal("3300.00"),
        "renewal": Decimal("2200.00"),
    }
    assert all(line.state == LineState.PENDING for line in lines.values())
    assert all(line.kind == LineKind.TRANCHE for line in lines.values())
    opens = {o.line.key: o for o in OpenTranche.objects.select_related("line")}
    assert [opens[f"deal:{pk}:payment:{n}"].paid_threshold for n in (1, 2, 3)] == [
        Decimal("30000.00"),
        Decimal("90000.00"),
        Decimal("100000.00"),
    ]
    assert opens[f"deal:{pk}:quality"].due_on == dt.date(2026, 9, 2)
    assert opens[f"deal:{pk}:renewal"].due_on == dt.date(2027, 3, 2)
    assert lines[f"deal:{pk}:payment:2"].explanation["payment"] == {
        "instalment": 2,
        "due_on": "2026-06-30",
    }
    # the next sweep looks at the contract (payments may already be in)
    assert IncentiveQueue.objects.filter(kind=QueueKind.CONTRACT, object_id=pk).exists()


def test_payment_half_in_full_when_the_policy_says_so():
    policy = IncentivePolicy.current()
    policy.payment_release = PaymentRelease.FULL
    policy.save()
    contract = contract_of()
    lines = by_key(accrue(contract, base="999.99"))
    payment = lines[f"deal:{contract.pk}:payment:1"]
    assert len(lines) == 3
    assert payment.amount + lines[f"deal:{contract.pk}:quality"].amount + lines[
        f"deal:{contract.pk}:renewal"
    ].amount == Decimal("999.99")
    assert OpenTranche.objects.get(line=payment).paid_threshold == Decimal("100000.00")


def _fake_contract(amount, percents):
    instalments, total = [], Decimal(0)
    for n, pct in enumerate(percents, start=1):
        part = to_money(amount * pct / 100) if n < len(percents) else amount - total
        total += part
        instalments.append(
            SimpleNamespace(sequence=n, percent=pct, amount=part, due_on=dt.date(2026, 3, n))
        )
    contract = SimpleNamespace(pk=1, account_id=1, amount=amount, signed_on=SIGNED)
    return contract, instalments


@settings(max_examples=200, deadline=None)
@given(
    base=st.decimals(min_value=0, max_value=10**7, places=2),
    coefficient=st.decimals(min_value=Decimal("0.7"), max_value=Decimal("1.3"), places=3),
    percents=st.lists(st.integers(min_value=1, max_value=100), min_size=1, max_size=6),
    full=st.booleans(),
)
def test_tranche_parts_add_up_to_the_bonus_to_the_cent(base, coefficient, percents, full):
    policy = IncentivePolicy(
        payment_release=PaymentRelease.FULL if full else PaymentRelease.INSTALMENT
    )
    contract, instalments = _fake_contract(Decimal("100000.00"), [Decimal(p) for p in percents])
    specs = tranches._specs(
        {
            "contract": contract,
            "rep_id": 1,
            "base": base,
            "coefficient": coefficient,
            "deferred": True,
            "explanation": {},
        },
        month=MARCH,
        run=None,
        policy=policy,
        instalments=instalments,
    )
    bonus = to_money(base * coefficient)
    assert sum(line["amount"] for line, _open in specs) == bonus
    payment = [line["amount"] for line, _o in specs if line["tranche"] == Tranche.PAYMENT]
    assert len(payment) == (1 if full else len(percents))
    assert sum(payment) == largest_remainder(bonus, [Decimal(50), Decimal(30), Decimal(20)])[0]
    assert all(line["amount"] == to_money(line["amount"]) for line, _o in specs)


def test_a_bonus_not_deferred_is_one_payable_line():
    contract = contract_of()
    [line] = accrue(contract, base="8000.00", coefficient="0.9", deferred=False)
    assert (line.kind, line.state, line.amount) == (
        LineKind.DEAL,
        LineState.EARNED,
        Decimal("7200.00"),
    )
    assert line.key == f"deal:{contract.pk}"
    assert not OpenTranche.objects.exists()


def test_a_contract_is_accrued_once():
    contract = contract_of()
    first = accrue(contract)
    again = accrue(contract, base="99999.00", deferred=False)
    assert [line.pk for line in again] == [line.pk for line in first]
    assert LedgerLine.objects.count() == 5
    assert OpenTranche.objects.count() == 5


def test_accrual_refuses_a_locked_month_and_writes_nothing():
    PayoutPeriod.objects.create(month=MARCH, state=PeriodState.LOCKED)
    contract = contract_of()
    with pytest.raises(ValidationError) as refused:
        accrue(contract)
    assert "period" in refused.value.message_dict
    assert not LedgerLine.objects.exists()
    assert not OpenTranche.objects.exists()
    with pytest.raises(ValidationError):
        tranches.accrue_deals([item(contract)], month=MARCH)
    assert not LedgerLine.objects.exists()


# --- bulk = per item --------------------------------------------------------------------------


def _snapshot() -> list[tuple]:
    lines = LedgerLine.objects.order_by("key").values_list(
        "key",
        "rep_id",
        "period",
        "kind",
        "state",
        "tranche",
        "amount",
        "base",
        "coefficient",
        "percent",
        "formula",
        "condition",
        "due_on",
        "explanation",
        "contract_id",
        "account_id",
        "source_line_id",
    )
    opens = OpenTranche.objects.order_by("line__key").values_list(
        "line__key",
        "tranche",
        "rep_id",
        "contract_id",
        "account_id",
        "starts_on",
        "due_on",
        "paid_threshold",
    )
    queue = IncentiveQueue.objects.order_by("kind", "object_id").values_list("kind", "object_id")
    return [list(lines), list(opens), list(queue)]


def _mixed_items():
    rep, other = UserFactory(role=Role.REP), UserFactory(role=Role.REP)
    contracts = [
        contract_of(rep),
        contract_of(rep, amount=Decimal("33333.33")),
        contract_of(other, instalments=[{"due_on": dt.date(2026, 4, 1), "percent": "100"}]),
        contract_of(
            other,
            instalments=[
                {"due_on": dt.date(2026, 4, 1), "percent": "33.33"},
                {"due_on": dt.date(2026, 5, 1), "percent": "33.33"},
                {"due_on": dt.date(2026, 6, 1), "percent": "33.34"},
            ],
        ),
        contract_of(rep),
    ]
    return [
        item(contracts[0], base="10000.00", coefficient="1.234"),
        item(contracts[1], base="3333.33", coefficient="0.7"),
        item(contracts[2], base="0.01"),
        item(contracts[3], base="12345.67", coefficient="1.3"),
        item(contracts[4], base="500.00", deferred=False),
    ]


@pytest.mark.parametrize("release", [PaymentRelease.INSTALMENT, PaymentRelease.FULL])
def test_bulk_accrual_writes_exactly_what_per_contract_accrual_writes(release):
    policy = IncentivePolicy.current()
    policy.payment_release = release
    policy.save()
    items = _mixed_items()
    IncentiveQueue.objects.all().delete()  # the contracts' own saves queued them
    with transaction.atomic():
        for one in items:
            tranches.accrue_deal(**one, month=MARCH, policy=policy)
        per_item = _snapshot()
        transaction.set_rollback(True)
    assert not LedgerLine.objects.exists()
    written = tranches.accrue_deals(items, month=MARCH, policy=policy)
    assert _snapshot() == per_item
    assert written == len(per_item[0])
    # a second run (or a contract accrued by hand already) writes nothing more
    assert tranches.accrue_deals(items, month=MARCH, policy=policy) == 0
    assert _snapshot() == per_item


def test_bulk_accrual_uses_a_few_statements_whatever_the_number_of_contracts(
    django_assert_max_num_queries,
):
    items = [item(contract_of()) for _ in range(12)]
    policy = IncentivePolicy.current()
    # savepoint, accrued?, locked?, instalments, lines, open tranches, queue, release
    with django_assert_max_num_queries(10):
        written = tranches.accrue_deals(items, month=MARCH, policy=policy)
    assert written == 12 * 5
    assert OpenTranche.objects.count() == 60


def test_bulk_accrual_skips_a_contract_accrued_before_and_takes_each_contract_once():
    contract, other = contract_of(), contract_of()
    accrue(contract)
    written = tranches.accrue_deals([item(contract), item(other), item(other)], month=MARCH)
    assert written == 5
    assert LedgerLine.objects.filter(contract=other).count() == 5


# --- the queue and its signals ---------------------------------------------------------------


def queued(kind) -> set[int]:
    return set(IncentiveQueue.objects.filter(kind=kind).values_list("object_id", flat=True))


def test_queueing_twice_keeps_one_row_with_the_later_time(django_assert_num_queries):
    with at(dt.date(2026, 3, 5)):
        with django_assert_num_queries(1):
            assert tranches.queue_accounts([3, 1, 3, None]) == 2
    with at(dt.date(2026, 3, 6)):
        tranches.queue_accounts([3])
    rows = dict(IncentiveQueue.objects.values_list("object_id", "queued_at"))
    assert set(rows) == {1, 3}
    assert rows[3] > rows[1]
    assert tranches.queue_contracts([]) == 0


def test_payments_contracts_complaints_and_renewals_queue_what_they_change():
    contract = contract_of()
    assert queued(QueueKind.CONTRACT) == {contract.pk}  # the contract's own save
    IncentiveQueue.objects.all().delete()
    with at(dt.date(2026, 3, 20)):
        payment = make_payment(contract)
    assert queued(QueueKind.CONTRACT) == {contract.pk}
    IncentiveQueue.objects.all().delete()
    payment.delete()  # no service deletes payments: the admin does, through the ORM
    assert queued(QueueKind.CONTRACT) == {contract.pk}
    IncentiveQueue.objects.all().delete()
    account = contract.account
    with at(dt.date(2026, 4, 1)):
        make_complaint(account, severity="minor", raised_on=dt.date(2026, 4, 1))
        assert queued(QueueKind.ACCOUNT) == set()  # a minor complaint changes nothing
        make_complaint(account, severity="major", raised_on=dt.date(2026, 4, 1))
        assert queued(QueueKind.ACCOUNT) == {account.pk}
        IncentiveQueue.objects.all().delete()
        make_renewal(account, due_on=dt.date(2027, 3, 2))
    assert queued(QueueKind.ACCOUNT) == {account.pk}


def test_a_feed_batch_queues_its_contracts_through_rows_inserted():
    contract, other = contract_of(), contract_of()
    IncentiveQueue.objects.all().delete()
    with at(dt.date(2026, 3, 20)), transaction.atomic(), unitofwork.deferred() as unit:
        for c in (contract, other):
            billing.payment_record(
                actor=c.owner,
                contract=c,
                amount=Decimal("1000.00"),
                received_on=dt.date(2026, 3, 20),
            )
        assert not IncentiveQueue.objects.exists()  # nothing written yet
        unit.flush()
    assert queued(QueueKind.CONTRACT) == {contract.pk, other.pk}


def test_the_month_of_a_locked_period_moves_to_the_next_open_one():
    PayoutPeriod.objects.create(month=MARCH, state=PeriodState.LOCKED)
    assert ledger.open_month(dt.date(2026, 3, 20)) == dt.date(2026, 4, 1)
