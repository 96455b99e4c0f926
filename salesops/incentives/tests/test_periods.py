"""Payout periods (SPEC I7): finance approves and locks a month with its totals; a locked
month refuses new lines; approving twice is refused and changes nothing; only finance
approves; the payroll export adds up, neutralises formulas and refuses when it would not."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import load_workbook

from salesops.incentives import ledger, payroll, periods
from salesops.incentives.models import LineKind, LineState, PayoutPeriod, PeriodState

from .test_statements import NOV, NOW, deal, earned

pytestmark = pytest.mark.django_db


def test_finance_approves_a_month_with_its_totals(org):
    earned(org.rep_a, amount="500.00")
    earned(org.rep_b, amount="-50.00", kind=LineKind.ADJUSTMENT, reason="fix")
    deal(org.rep_a)
    with time_machine.travel(NOW, tick=False):
        period = periods.approve(NOV, by=org.finance)
    assert period.state == PeriodState.LOCKED
    assert period.locked_by == org.finance
    assert period.locked_at == NOW
    assert period.totals == {
        "lines": 7,
        "reps": 2,
        "payable": "450.00",
        "pending": "2200.00",
        "forfeited": "0.00",
    }


def test_a_locked_month_refuses_new_lines(org):
    periods.approve(NOV, by=org.finance)
    with pytest.raises(ValidationError) as caught:
        earned(org.rep_a)
    assert "period" in caught.value.message_dict
    assert ledger.open_month(dt.date(2026, 11, 15)) == dt.date(2026, 12, 1)


def test_approving_twice_is_refused_and_changes_nothing(org):
    earned(org.rep_a, amount="10.00")
    with time_machine.travel(NOW, tick=False):
        periods.approve(NOV, by=org.finance)
    before = PayoutPeriod.objects.get(month=NOV)
    with pytest.raises(periods.PeriodLocked) as caught:
        periods.approve(NOV, by=org.finance)
    message = caught.value.message_dict["month"][0]
    assert "already approved and locked on 2026-11-20" in message
    assert "Finance Fang" in message
    after = PayoutPeriod.objects.get(month=NOV)
    assert (after.locked_at, after.locked_by_id, after.totals) == (
        before.locked_at,
        before.locked_by_id,
        before.totals,
    )


@pytest.mark.parametrize("who", ["rep_a", "manager_east", "director", "admin", "cs"])
def test_only_finance_approves(org, who):
    with pytest.raises(PermissionDenied):
        periods.approve(NOV, by=getattr(org, who))
    assert not PayoutPeriod.objects.filter(month=NOV, state=PeriodState.LOCKED).exists()


def test_months_lists_open_and_locked_months(org):
    earned(org.rep_a, amount="10.00")
    with time_machine.travel(NOW, tick=False):
        periods.approve(NOV, by=org.finance)
        earned(org.rep_a, month=dt.date(2026, 12, 1), amount="5.00")
        rows = periods.months(org.director)
    by_key = {row.key: row for row in rows}
    assert by_key["2026-11"].locked and by_key["2026-11"].totals["payable"] == Decimal("10.00")
    assert not by_key["2026-10"].locked
    with pytest.raises(PermissionDenied):
        periods.months(org.rep_a)


def _book(handle):
    return load_workbook(io.BytesIO(handle.read()))


def test_payroll_export_adds_up_and_has_a_totals_row(org):
    earned(org.rep_a, amount="500.00")
    earned(org.rep_a, amount="200.00", kind=LineKind.QUARTERLY)
    earned(org.rep_b, amount="-20.00", kind=LineKind.ADJUSTMENT, reason='=HYPERLINK("x")')
    deal(org.rep_c)  # pending: not payable
    book = _book(payroll.xlsx(org.finance, NOV))
    assert book.sheetnames == [payroll.SUMMARY_SHEET, payroll.LINES_SHEET]
    summary = list(book[payroll.SUMMARY_SHEET].values)
    header, *rows, total = summary
    assert header[:3] == ("Rep", "Username", "Team") and header[-1] == "Total"
    assert total[0] == "Total"
    assert Decimal(str(total[-1])) == Decimal("680.00")
    assert sum(Decimal(str(r[-1])) for r in rows) == Decimal("680.00")
    lines = list(book[payroll.LINES_SHEET].values)
    assert len(lines) == 1 + 3 + 5
    reasons = [row[14] for row in lines[1:] if row[14]]
    # a formula in a reason is shown as text, never run
    assert reasons == ['\'=HYPERLINK("x")']
    csv = payroll.csv_text(org.finance, NOV)
    assert csv.startswith("\ufeffRep,Username,Team")
    assert csv.strip().splitlines()[-1].endswith(",680.00")


def test_payroll_export_is_for_finance_directors_and_admins(org):
    for who in ("finance", "director", "admin"):
        payroll.csv_text(getattr(org, who), NOV)
    for who in ("rep_a", "manager_east", "cs"):
        with pytest.raises(PermissionDenied):
            payroll.csv_text(getattr(org, who), NOV)


def test_safe_text_neutralises_formula_starts():
    assert payroll.safe_text("=1+1") == "'=1+1"
    assert payroll.safe_text("+86") == "'+86"
    assert payroll.safe_text("@SUM") == "'@SUM"
    assert payroll.safe_text("-x") == "'-x"
    assert payroll.safe_text("Rep A") == "Rep A"


def test_the_totals_check_refuses_a_sheet_that_does_not_add_up():
    with pytest.raises(payroll.TotalsMismatch) as caught:
        payroll._check(NOV, Decimal("10.00"), Decimal("10.01"))
    assert "does not add up" in caught.value.message_dict["month"][0]


def test_a_settled_tranche_in_a_locked_month_goes_to_the_next_open_month(org):
    _contract, lines = deal(org.rep_a, month=dt.date(2026, 10, 1))
    periods.approve(NOV, by=org.finance)
    release = ledger.settle(lines[0], released=True, on=dt.date(2026, 11, 10), event={})
    assert release.period == dt.date(2026, 12, 1)
    assert release.state == LineState.EARNED
