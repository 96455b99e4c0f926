"""The pure maths of splitting money (T3): no database, no Django.

:func:`largest_remainder` splits an amount in cents proportionally to weights so that the
parts add up to the amount exactly — no lost or invented cent. It splits a plan's pool to
its reps and each rep's amount to the twelve months of the fiscal year (by the seasonal
index), so both levels add up exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from statistics import median

CENT = Decimal("0.01")


def _cents(total: Decimal) -> int:
    if not isinstance(total, Decimal):
        total = Decimal(str(total))
    if not total.is_finite():
        raise ValueError("The total must be a finite amount.")
    if total < 0:
        raise ValueError("The total must not be negative.")
    if total != total.quantize(CENT):
        raise ValueError("The total must be a whole number of cents.")
    return int(total * 100)


def largest_remainder(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """``total`` split into ``len(weights)`` parts proportional to ``weights``, in cents.

    Each part is first its exact proportional share floored to the cent; the cents left
    over go one each to the parts with the largest remainders (ties: the lower index
    first, so the result is deterministic). The parts add up to ``total`` exactly. When
    every weight is zero the split is equal (the same method with equal weights).

    ``total`` must be ≥ 0 and a whole number of cents; weights must be ≥ 0.
    """
    cents = _cents(total)
    if not weights:
        if cents:
            raise ValueError("There is nothing to split the total to.")
        return []
    exact = [Fraction(Decimal(str(w)) if not isinstance(w, Decimal) else w) for w in weights]
    if any(w < 0 for w in exact):
        raise ValueError("Weights must not be negative.")
    weight_sum = sum(exact)
    if weight_sum == 0:
        exact = [Fraction(1)] * len(exact)
        weight_sum = Fraction(len(exact))
    shares = [cents * w / weight_sum for w in exact]
    floors = [int(s) for s in shares]  # shares are ≥ 0, so int() floors
    left = cents - sum(floors)
    order = sorted(range(len(shares)), key=lambda i: (-(shares[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [(Decimal(part) / 100).quantize(CENT) for part in floors]


def monthly_split(amount: Decimal, seasonal_index: Sequence) -> list[Decimal]:
    """``amount`` over the months by the seasonal index (one value per month, in the
    order of the fiscal year); all-equal indices give equal months."""
    return largest_remainder(amount, [Decimal(str(v)) for v in seasonal_index])


def decimal_median(values: Sequence[Decimal]) -> Decimal | None:
    """The median of ``values`` (the mean of the middle two for an even count), or
    ``None`` for none."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    return Decimal(median(sorted(values)))


def quarters(months: Sequence[Decimal]) -> list[Decimal]:
    """Twelve monthly amounts summed to four quarters."""
    return [sum(months[q * 3 : q * 3 + 3], Decimal("0.00")) for q in range(len(months) // 3)]
