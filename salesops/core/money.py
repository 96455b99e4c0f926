"""Money helpers: amounts are Decimal CNY with two places, rounded half-up."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
CURRENCY = "CNY"


def to_money(value) -> Decimal:
    """Convert an int, str or Decimal to a 2-place Decimal. Floats are refused: they are
    binary approximations and would put 0.1-yuan errors into bonuses."""
    if isinstance(value, float):
        raise TypeError("money must not be a float; pass a str or Decimal")
    if value is None or value == "":
        return Decimal("0.00")
    try:
        amount = Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, TypeError) as exc:
        raise ValueError(f"not an amount of money: {value!r}") from exc
    if not amount.is_finite():
        # quantize() lets a quiet NaN through; it would poison every sum it enters
        raise ValueError(f"not an amount of money: {value!r}")
    return amount


def money_sum(values) -> Decimal:
    return to_money(sum((to_money(v) for v in values), Decimal("0")))


def format_cny(value, *, symbol: bool = True) -> str:
    amount = to_money(value)
    text = f"{amount:,.2f}"
    return f"¥{text}" if symbol else text


def percent(part, whole, places: int = 1) -> Decimal:
    """``part / whole`` as a percentage; 0 when the whole is 0."""
    whole = Decimal(whole)
    if whole == 0:
        return Decimal("0")
    quantum = Decimal(1).scaleb(-places)
    return (Decimal(part) * 100 / whole).quantize(quantum, rounding=ROUND_HALF_UP)
