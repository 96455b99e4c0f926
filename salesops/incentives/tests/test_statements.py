"""Payout statements (SPEC I7, P4): a statement's totals are the sums of its lines, it reads
the same twice, tranche lines say pending / released in / forfeited in, the release
conditions are in words, the coefficient panel carries its inputs, earlier months' pending
tranches are listed, and reading it costs a fixed number of queries.

The ledger is built with ``ledger.write`` / ``ledger.settle`` / ``tranches.accrue_deal``
directly (the month-end run is another area's)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesops.incentives import ledger, statements, tranches
from salesops.incentives.models import LineKind, LineState, RepFactors
from salesops.org.models import Role
from salesops.org.tests.factories import UserFactory
from salesops.revenue.tests.factories import make_contract

pytestmark = pytest.mark.django_db

NOV = dt.date(2026, 11, 1)
DEC = dt.date(2026, 12, 1)
OCT = dt.date(2026, 10, 1)
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
_keys = itertools.count(1)


# -- helpers the other statement test modules use ------------------------------------


def earned(rep, month=NOV, amount="100.00", kind=LineKind.MONTHLY, **fields):
    return ledger.write(
        rep=rep,
        period=month,
        kind=kind,
        state=LineState.EARNED,
        amount=Decimal(amount),
        key=f"test:{next(_keys)}",
        **fields,
    )


def deal(rep, month=NOV, base="2000.00", coefficient="1.100", **contract_data):
    """A signed contract of ``rep`` and its deferred deal bonus: pending tranches."""
    contract = make_contract(owner=rep, **contract_data)
    lines = tranches.accrue_deal(
        contract=contract,
        rep_id=rep.pk,
        month=month,
        base=Decimal(base),
        coefficient=Decimal(coefficient),
        plan_version=None,
        formula="contract_amount * 0.02",
        deferred=True,
        explanation={
            "inputs": {"contract_amount": str(contract.amount)},
            "component": "Deal bonus",
            "records": [{"model": "revenue.contract", "id": contract.pk, "label": contract.number}],
        },
    )
    return contract, lines


def factors(rep, month=NOV, coefficient="1.100", points=7):
    return RepFactors.objects.create(
        rep=rep,
        period=month,
        cs_hours=Decimal(points * 2),
        cs_points=points,
        response_hours=Decimal("3.00"),
        adoption=Decimal("0.6000"),
        nps_change=Decimal("5.00"),
        coefficient_raw=Decimal(coefficient),
        coefficient=Decimal(coefficient),
        explanation={
            "inputs": {
                "response_hours": "3.00",
                "response_target": "4",
                "adoption": "0.6",
                "nps_change": "5",
            },
            "neutral": [],
            "counts": {"tickets": 4, "pushes": 10, "nps_now": 3, "nps_before": 2},
            "formula": "1 + 0.15 * (1 - response_hours / response_target)",
            "raw": coefficient,
            "clamped": coefficient,
            "capped": False,
            "cs": {"hours": str(points * 2), "points": points, "per_point": "2", "max": 10,
                   "cap_below": 6, "cap": "0.9"},
        },
    )  # fmt: skip


# -- tests ------------------------------------------------------------------------------


def test_a_deal_shows_pending_tranches_with_conditions_in_words():
    rep = UserFactory(role=Role.REP)
    contract, lines = deal(rep)
    found = statements.statement(rep, NOV)
    assert [g.kind for g in found.groups] == [LineKind.TRANCHE]
    items = found.groups[0].lines
    # per instalment 30/60/10 of the 50 % payment part, then quality and renewal
    assert len(items) == 5
    assert {item.state for item in items} == {"pending"}
    assert found.pending == Decimal("2200.00")
    assert found.payable == Decimal("0.00")
    first = items[0]
    assert first.condition == (
        f"when ¥30,000.00 has been received on contract {contract.number} (instalment 1)"
    )
    assert items[1].condition.startswith("when ¥90,000.00 has been received")
    quality = next(i for i in items if i.line.tranche == "quality")
    assert quality.condition == f"no major complaint on {contract.account.name} until 2026-09-02"
    renewal = next(i for i in items if i.line.tranche == "renewal")
    # due 12 months after signing, plus the 60 grace days of the default policy
    assert renewal.condition == f"{contract.account.name} renews by 2027-05-01"
    models = {r.model for r in first.records}
    assert {"revenue.contract", "customers.account"} <= models
    assert all(r.url for r in first.records)


def test_a_released_tranche_says_when_and_the_release_is_payable_that_month():
    rep = UserFactory(role=Role.REP)
    _contract, lines = deal(rep, month=OCT)
    ledger.settle(lines[0], released=True, on=dt.date(2026, 11, 5), event={"kind": "payment"})
    ledger.settle(lines[-1], released=False, on=dt.date(2026, 11, 6), event={"kind": "lost"})
    october = statements.statement(rep, OCT)
    states = {item.line.pk: item.state_text for item in october.lines}
    assert states[lines[0].pk] == "released in 2026-11"
    assert states[lines[-1].pk] == "forfeited in 2026-11"
    assert states[lines[1].pk] == "pending"
    november = statements.statement(rep, NOV)
    assert november.payable == lines[0].amount
    assert november.forfeited == lines[-1].amount
    release = next(i for i in november.lines if i.line.kind == LineKind.RELEASE)
    assert release.condition.startswith("when ¥30,000.00 has been received")
    # the October tranches still open are listed as pending from earlier months
    assert november.earlier_count == 3
    assert {i.line.pk for i in november.earlier} == {line.pk for line in lines[1:4]}


def test_totals_count_negative_adjustments_and_the_coefficient_panel():
    rep = UserFactory(role=Role.REP)
    earned(rep, amount="500.00")
    earned(rep, amount="-120.50", kind=LineKind.ADJUSTMENT, reason="double count")
    earned(rep, amount="-30.00", kind=LineKind.MENTOR_DEDUCTION)
    factors(rep)
    found = statements.statement(rep, NOV)
    assert found.payable == Decimal("349.50")
    panel = found.coefficient
    assert panel["coefficient"] == Decimal("1.100")
    assert panel["response_hours"] == "3.00"
    assert panel["adoption"] == "0.6"
    assert panel["nps_change"] == "5"
    assert panel["cs_points"] == 7


def test_history_gives_six_months_of_payable():
    rep = UserFactory(role=Role.REP)
    earned(rep, month=OCT, amount="10.00")
    earned(rep, month=NOV, amount="20.00")
    rows = statements.history(rep.pk, NOV)
    assert [r["month"] for r in rows] == [
        "2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"
    ]  # fmt: skip
    assert [r["payable"] for r in rows][-2:] == [Decimal("10.00"), Decimal("20.00")]


def test_reading_a_statement_costs_a_fixed_number_of_queries():
    rep = UserFactory(role=Role.REP)
    deal(rep)
    factors(rep)
    earned(rep)
    with CaptureQueriesContext(connection) as few:
        statements.statement(rep, NOV)
    for _n in range(5):
        deal(rep)
        earned(rep)
    with CaptureQueriesContext(connection) as many:
        found = statements.statement(rep, NOV)
    assert len(found.lines) == 6 * 5 + 6
    assert len(many) == len(few)


def test_parse_month_names_the_field():
    with pytest.raises(Exception) as caught:
        statements.parse_month("2026-13")
    assert "month" in caught.value.message_dict
    assert statements.parse_month("2026-11") == NOV
    with time_machine.travel(NOW, tick=False):
        assert statements.parse_month(None) == NOV


# -- hypothesis: totals are the sum of the lines, over random ledgers -------------------

KINDS = [k for k in LineKind.values if k not in (LineKind.TRANCHE, LineKind.RELEASE,
                                                 LineKind.FORFEIT)]  # fmt: skip
amounts = st.decimals(min_value=Decimal("-5000"), max_value=Decimal("5000"), places=2).filter(
    lambda d: d != 0
)
plain = st.tuples(
    st.sampled_from(KINDS),
    st.sampled_from([LineState.EARNED, LineState.PENDING, LineState.FORFEITED]),
    amounts,
)
settlements = st.lists(st.sampled_from(["keep", "release", "forfeit"]), max_size=5)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(plain, max_size=12), fates=settlements, month_of_settling=st.booleans())
def test_statement_totals_are_the_sum_of_its_lines(rows, fates, month_of_settling):
    rep = UserFactory(role=Role.REP)
    for kind, state, amount in rows:
        ledger.write(rep=rep, period=NOV, kind=kind, state=state, amount=amount,
                     key=f"h:{next(_keys)}")  # fmt: skip
    pending = []
    for n, fate in enumerate(fates):
        pending.append(
            ledger.write(rep=rep, period=NOV, kind=LineKind.TRANCHE, state=LineState.PENDING,
                         amount=Decimal(100 + n), key=f"h:{next(_keys)}", tranche="quality")
        )  # fmt: skip
        if fate != "keep":
            on = NOV if month_of_settling else DEC
            ledger.settle(pending[-1], released=fate == "release", on=on, event={"n": n})
    first = statements.statement(rep, NOV, page=None)
    again = statements.statement(rep, NOV, page=None)
    lines = first.lines
    by_state = {s: sum((i.line.amount for i in lines if i.line.state == s), Decimal(0))
                for s in LineState.values}  # fmt: skip
    assert first.payable == by_state[LineState.EARNED]
    assert first.pending == by_state[LineState.PENDING]
    assert first.forfeited == by_state[LineState.FORFEITED]
    assert sum((g.payable for g in first.groups), Decimal(0)) == first.payable
    assert sum((g.pending for g in first.groups), Decimal(0)) == first.pending
    assert sum(len(g.lines) for g in first.groups) == len(lines)
    # the same ledger, read twice, is the same statement
    assert [(i.pk, i.state_text, i.condition) for i in again.lines] == [
        (i.pk, i.state_text, i.condition) for i in lines
    ]
    assert (again.payable, again.pending, again.forfeited) == (
        first.payable, first.pending, first.forfeited
    )  # fmt: skip


def test_a_long_statement_is_read_a_page_at_a_time_with_totals_over_every_line():
    """Hundreds of lines a month (10M-line ledgers): the totals and each kind's count come
    from every line, the lines from one page of 50; ``kind`` narrows the pages."""
    rep = UserFactory(role=Role.REP)
    for n in range(110):
        ledger.write(rep=rep, period=NOV, kind=LineKind.MONTHLY, state=LineState.EARNED,
                     amount=Decimal("1.00"), key=f"p:m:{n}")  # fmt: skip
    for n in range(10):
        ledger.write(rep=rep, period=NOV, kind=LineKind.ADJUSTMENT, state=LineState.EARNED,
                     amount=Decimal("-0.50"), key=f"p:a:{n}", reason="r")  # fmt: skip
    first = statements.statement(rep, NOV)
    assert (first.page, first.pages, first.line_count, len(first.lines)) == (1, 3, 120, 50)
    assert first.payable == Decimal("105.00")
    assert {g.kind: g.count for g in first.groups} == {"monthly": 110, "adjustment": 10}
    last = statements.statement(rep, NOV, page=99)  # past the end: the last page
    assert (last.page, len(last.lines)) == (3, 20)
    assert [i.line.kind for i in last.lines][-10:] == ["adjustment"] * 10
    only = statements.statement(rep, NOV, kind="adjustment")
    assert (only.pages, only.line_count, len(only.lines)) == (1, 10, 10)
    assert only.payable == Decimal("105.00")  # the totals stay the month's
    everything = statements.statement(rep, NOV, page=None)
    assert len(everything.lines) == 120
