"""What an LTV formula may read and how one is checked (SPEC C4).

Apart from :mod:`.ltv` so the model's ``clean`` can check a formula without importing the
module that reads and writes the model (the former ``revenue`` models ↔ ltv loop).
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesops.core import expressions
from salesops.core.money import to_money

# What a formula may read, in the order the breakdown lists them.
INPUTS: dict[str, object] = {
    "realised": gettext_lazy("Payments received to date (CNY)"),
    "contracted": gettext_lazy("Amount of all signed contracts (CNY)"),
    "active_contracts": gettext_lazy("Signed contracts not yet completed or terminated"),
    "outstanding": gettext_lazy("Still to be paid on those contracts (CNY)"),
    "pending_renewals": gettext_lazy("Amount of pending renewals (CNY)"),
    "renewed": gettext_lazy("Amount renewed so far (CNY)"),
    "renewals_lost": gettext_lazy("Renewals lost"),
    "nps_average": gettext_lazy("Average NPS score, 0–10 (None without answers)"),
    "nps_responses": gettext_lazy("NPS answers"),
    "open_complaints": gettext_lazy("Open complaints"),
    "open_major_complaints": gettext_lazy("Open major complaints"),
    "years_as_customer": gettext_lazy("Years since the first signed contract"),
}
# What the customer is still expected to pay, plus the pending renewals weighted by how
# satisfied they are (no answers: 7 of 10), halved while a major complaint is open.
DEFAULT_FORMULA = (
    "outstanding + pending_renewals * clamp(coalesce(nps_average, 7) / 10, 0, 1)"
    " * if_(open_major_complaints > 0, 0.5, 1)"
)
DEFAULT_VERSION = 0


def as_money(value) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise TypeError(value)
    return to_money(value)


def formula_problems(source: str) -> list[str]:
    """What is wrong with a formula (empty when usable): syntax, unknown names, and
    whether it gives a number on sample inputs."""
    problems = expressions.validate(source, set(INPUTS))
    if problems:
        return problems
    sample = {name: (Decimal("1.00") if name != "nps_average" else None) for name in INPUTS}
    try:
        as_money(expressions.evaluate(source, sample))
    except expressions.ExpressionError as exc:
        return [str(exc)]
    except (TypeError, ValueError):
        return [_("The formula must give an amount of money (a number).")]
    return []
