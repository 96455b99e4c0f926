"""The variables each kind of bonus formula may read, and evaluating them to money
(SPEC I1, I3; P4: the inputs are kept with every line).

A plan component's formula is validated against its kind's variables when the version is
saved (an unknown name is a 422 naming it); at run time it is evaluated with those
variables as Decimals and the result rounded to the cent. A negative result counts as 0.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from salesops.core import expressions
from salesops.core.expressions import ExpressionError
from salesops.core.money import to_money

from .models import ComponentKind

VARIABLES: dict[str, dict[str, object]] = {
    ComponentKind.DEAL: {
        "contract_amount": _("the signed contract's amount"),
        "term_months": _("the contract's term in months (0 when not set)"),
        "repeat": _("1 when the account had a contract before, else 0"),
        "key_account": _("1 when the account's level is a hard-account level, else 0"),
    },
    ComponentKind.MONTHLY: {
        "kpi_score": _("the rep's KPI score for the month (0–100)"),
        "target": _("the rep's target for the month"),
        "achieved": _("what the rep achieved toward it"),
        "attainment": _("achieved ÷ target (0 without a target)"),
        "signed_amount": _("contract amount signed in the month"),
        "contracts": _("contracts signed in the month"),
    },
    ComponentKind.QUARTERLY: {
        "kpi_score": _("the rep's average KPI score over the quarter's months"),
        "target": _("the rep's target for the quarter"),
        "achieved": _("what the rep achieved toward it"),
        "attainment": _("achieved ÷ target (0 without a target)"),
        "signed_amount": _("contract amount signed in the quarter"),
        "contracts": _("contracts signed in the quarter"),
    },
    ComponentKind.BREAKTHROUGH: {
        "contract_amount": _("the first contract's amount with the hard account"),
    },
    ComponentKind.PROCESS_HEALTH: {
        "pool": _("the team's bonus pool: its members' quarterly rewards"),
        "percent": _("the award's share of the pool (15 by default)"),
        "share": _("the rep's share of the pool (0–1)"),
    },
}

COEFFICIENT_VARIABLES: dict[str, object] = {
    "response_hours": _("average first-response hours of the rep's accounts' service tickets"),
    "response_target": _("the response target in hours (Settings · Incentives)"),
    "adoption": _("knowledge adoption: share of pushed items the rep used (0–1)"),
    "nps_change": _("NPS of the last 3 months minus the 3 months before (points)"),
}


def names(kind: str) -> set[str]:
    return set(VARIABLES[kind])


def validate(kind: str, source: str) -> list[str]:
    """Problems with a component formula (empty when usable): syntax, unknown names."""
    return expressions.validate(source, names(kind))


def validate_coefficient(source: str) -> list[str]:
    return expressions.validate(source, set(COEFFICIENT_VARIABLES))


def _decimal(value) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    raise ExpressionError(_("The formula must give a number."))


def evaluate(source: str, variables: dict, *, kind: str | None = None) -> Decimal:
    """The formula's value as a Decimal (``ExpressionError`` with a message on failure)."""
    allowed = names(kind) if kind else None
    compiled = expressions.compile_expression(source, allowed)
    return _decimal(expressions.evaluate(compiled, variables))


def money(source: str, variables: dict, *, kind: str | None = None) -> Decimal:
    """The formula's value in money: rounded to the cent, never below 0."""
    return max(to_money(evaluate(source, variables, kind=kind)), Decimal("0.00"))
