"""The payout ledger is append-only: the model, the queryset and the database refuse an
update or a delete; a locked month takes no new line (SPEC I7)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from salesops.incentives import ledger
from salesops.incentives.models import LedgerLine, LineKind, LineState, PayoutPeriod, PeriodState
from salesops.org.models import Role
from salesops.org.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOV = dt.date(2026, 11, 1)


def _line(rep, key="k1", amount="100.00", period=NOV):
    return ledger.write(
        rep=rep,
        period=period,
        kind=LineKind.MONTHLY,
        state=LineState.EARNED,
        amount=Decimal(amount),
        key=key,
    )


def test_write_is_idempotent_by_key():
    rep = UserFactory(role=Role.REP)
    first = _line(rep)
    again = _line(rep, amount="999")
    assert again.pk == first.pk
    assert LedgerLine.objects.count() == 1
    assert again.amount == Decimal("100.00")


def test_model_refuses_update_and_delete():
    line = _line(UserFactory(role=Role.REP))
    line.amount = Decimal("1")
    with pytest.raises(ValidationError):
        line.save()
    with pytest.raises(ValidationError):
        line.delete()
    with pytest.raises(ValidationError):
        LedgerLine.objects.filter(pk=line.pk).update(amount=1)
    with pytest.raises(ValidationError):
        LedgerLine.objects.filter(pk=line.pk).delete()
    assert LedgerLine.objects.get(pk=line.pk).amount == Decimal("100.00")


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE incentives_ledgerline SET amount = 1 WHERE id = %s",
        "DELETE FROM incentives_ledgerline WHERE id = %s",
    ],
)
def test_database_refuses_update_and_delete(sql):
    line = _line(UserFactory(role=Role.REP))
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [line.pk])
    assert LedgerLine.objects.get(pk=line.pk).amount == Decimal("100.00")


def test_deleting_the_rep_is_refused_while_lines_exist():
    rep = UserFactory(role=Role.REP)
    _line(rep)
    with pytest.raises(Exception):  # noqa: B017 - PROTECT or the trigger, whichever comes first
        with transaction.atomic():
            rep.delete()
    assert LedgerLine.objects.filter(rep=rep).count() == 1


def test_locked_month_takes_no_new_line_and_settlements_go_to_the_next_open_month():
    rep = UserFactory(role=Role.REP)
    tranche = ledger.write(
        rep=rep,
        period=NOV,
        kind=LineKind.TRANCHE,
        state=LineState.PENDING,
        amount=Decimal("50"),
        key="t1",
        tranche="payment",
    )
    PayoutPeriod.objects.create(month=NOV, state=PeriodState.LOCKED)
    with pytest.raises(ValidationError) as error:
        _line(rep, key="late")
    assert "2026-11" in str(error.value)
    released = ledger.settle(
        tranche, released=True, on=dt.date(2026, 11, 20), event={"kind": "test"}
    )
    assert released.period == dt.date(2026, 12, 1)
    assert released.settles_id == tranche.pk
    assert (
        ledger.settle(tranche, released=True, on=dt.date(2026, 11, 21), event={}).pk == released.pk
    )


@pytest.mark.django_db(transaction=True)
def test_flush_still_empties_the_ledger():
    """Django's flush (every transactional test's teardown) passes the delete guard."""
    _line(UserFactory(role=Role.REP))
    assert LedgerLine.objects.count() == 1
