"""Adjustments (SPEC I7): finance only, a reason and a non-zero amount required, a rep with
a statement, the source line the same rep's; written to the first open month (the next one
when this month is locked), approved by the writer; bad input writes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from salesops.incentives import adjustments, periods
from salesops.incentives.models import LedgerLine, LineKind, LineState

from .test_statements import NOV, NOW, earned

pytestmark = pytest.mark.django_db


def test_finance_writes_an_adjustment_into_the_open_month(org):
    source = earned(org.rep_a, amount="300.00")
    with time_machine.travel(NOW, tick=False):
        line = adjustments.create(
            by=org.finance, rep_id=org.rep_a.pk, amount=Decimal("-45.50"),
            reason="double-counted visit", source_line_id=source.pk,
        )  # fmt: skip
    assert (line.kind, line.state, line.period) == (LineKind.ADJUSTMENT, LineState.EARNED, NOV)
    assert line.amount == Decimal("-45.50")
    assert line.approved_by == org.finance and line.created_by == org.finance
    assert line.key.startswith("adjustment:")
    assert line.source_line_id == source.pk
    assert line.reason == "double-counted visit"


def test_when_the_month_is_locked_the_adjustment_lands_in_the_next_open_month(org):
    earned(org.rep_a)
    with time_machine.travel(NOW, tick=False):
        periods.approve(NOV, by=org.finance)
        line = adjustments.create(by=org.finance, rep_id=org.rep_a.pk, amount="10", reason="late")
    assert line.period == dt.date(2026, 12, 1)


@pytest.mark.parametrize(
    "data, field",
    [
        ({"reason": ""}, "reason"),
        ({"reason": "   "}, "reason"),
        ({"amount": "0"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"rep_id": 999999}, "rep_id"),
        ({"rep_id": None}, "rep_id"),
        ({"source_line_id": 999999}, "source_line_id"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(org, data, field):
    values = {"rep_id": org.rep_a.pk, "amount": "10.00", "reason": "ok", **data}
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationError) as caught:
        adjustments.create(by=org.finance, **values)
    assert field in caught.value.message_dict
    assert not LedgerLine.objects.exists()


def test_the_rep_must_hold_a_statement_and_own_the_source_line(org):
    other = earned(org.rep_b)
    with time_machine.travel(NOW, tick=False):
        with pytest.raises(ValidationError) as caught:
            adjustments.create(by=org.finance, rep_id=org.cs.pk, amount="1", reason="x")
        assert "rep_id" in caught.value.message_dict
        with pytest.raises(ValidationError) as caught:
            adjustments.create(
                by=org.finance, rep_id=org.rep_a.pk, amount="1", reason="x",
                source_line_id=other.pk,
            )  # fmt: skip
        assert "another rep" in caught.value.message_dict["source_line_id"][0]
    assert LedgerLine.objects.count() == 1


@pytest.mark.parametrize("who", ["rep_a", "manager_east", "director", "admin"])
def test_only_finance_adjusts(org, who):
    with pytest.raises(PermissionDenied):
        adjustments.create(by=getattr(org, who), rep_id=org.rep_a.pk, amount="1", reason="x")
    assert not LedgerLine.objects.exists()
