"""Adjustments (SPEC I7): the only way to correct the append-only ledger.

Finance writes a new *earned* line with a reason — positive or negative — approved by
themselves, into the first open month from today (the next one when this month is
approved and locked). It may name the line it corrects, which must be the same rep's.
Bad input is one ``ValidationError`` naming every field at fault; nothing is written.
"""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salesops.core import clock
from salesops.core.money import to_money

from . import ledger, permissions
from .models import LedgerLine, LineKind, LineState
from .periods import require_finance

MAX_AMOUNT = Decimal("1000000000")  # well inside the column (14 digits, 2 places)
REASON_MAX = 500


def _amount(value, errors: dict) -> Decimal | None:
    if isinstance(value, float):
        value = str(value)
    try:
        amount = to_money(value)
    except (TypeError, ValueError, InvalidOperation):
        errors["amount"] = _("Enter an amount of money, e.g. 500.00 or -120.50.")
        return None
    if amount == 0:
        errors["amount"] = _(
            "An adjustment of 0 changes nothing: enter a positive or negative amount."
        )
    elif abs(amount) >= MAX_AMOUNT:
        errors["amount"] = _("The amount is too large: at most 999,999,999.99.")
    return amount


def create(*, by, rep_id, amount, reason: str, source_line_id=None) -> LedgerLine:
    """Write an adjustment line for ``rep_id`` (finance only; see the module docstring)."""
    require_finance(by)
    errors: dict[str, str] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _(
            "Give the reason for the adjustment: it is shown on the "
            "rep's statement and in the payroll export."
        )
    elif len(reason) > REASON_MAX:
        errors["reason"] = _("The reason is too long: at most %(n)d characters.") % {
            "n": REASON_MAX
        }
    value = _amount(amount, errors)
    rep = None
    if rep_id in (None, ""):
        errors["rep_id"] = _("Choose the rep whose statement the adjustment goes on.")
    else:
        try:
            rep = get_user_model().objects.filter(pk=int(rep_id)).first()
        except (TypeError, ValueError):
            rep = None
        if rep is None or not permissions.has_statement(rep):
            errors["rep_id"] = _("Unknown rep: choose a sales rep or manager who has a statement.")
    source = None
    if source_line_id not in (None, ""):
        try:
            source = LedgerLine.objects.filter(pk=int(source_line_id)).first()
        except (TypeError, ValueError):
            source = None
        if source is None:
            errors["source_line_id"] = _(
                "No ledger line has this number: leave it empty or "
                "enter the number of the line being corrected."
            )
        elif rep is not None and source.rep_id != rep.pk:
            errors["source_line_id"] = _(
                "Line %(n)s is on another rep's statement: an "
                "adjustment corrects a line of the same rep."
            ) % {"n": source.pk}
    if errors:
        raise ValidationError(errors)
    month = ledger.open_month(clock.today())
    with transaction.atomic():
        return ledger.write(
            rep=rep,
            period=month,
            kind=LineKind.ADJUSTMENT,
            state=LineState.EARNED,
            amount=value,
            key=f"adjustment:{uuid.uuid4()}",
            reason=reason,
            source_line=source,
            contract_id=source.contract_id if source else None,
            account_id=source.account_id if source else None,
            created_by=by,
            approved_by=by,
            explanation={
                "reason": reason,
                "by": by.label,
                "source_line": source.pk if source else None,
                "written_on": clock.today().isoformat(),
            },
        )
