"""Money in templates: ``{{ amount|cny }}`` → ``¥5,374,800.00`` and ``{{ amount|money }}``
→ ``5,374,800.00``, in every language. Chinese amounts are grouped by thousands in
business documents (not by 万 as Django's zh-Hans number format would); exports keep raw
numbers and never go through these filters."""

from __future__ import annotations

from decimal import Decimal

from django import template

from salesops.core.money import format_cny

register = template.Library()


def _amount(value):
    if value is None or value == "":
        return None
    if isinstance(value, float):
        value = Decimal(str(value))
    try:
        return format_cny(value, symbol=False)
    except (TypeError, ValueError):
        return None


@register.filter
def money(value) -> str:
    """The amount with thousands separators and two places; "—" when there is none."""
    text = _amount(value)
    return "—" if text is None else text


@register.filter
def cny(value) -> str:
    """``money`` with the yuan sign: ``¥5,374,800.00`` (a minus before the sign)."""
    text = _amount(value)
    if text is None:
        return "—"
    return f"-¥{text[1:]}" if text.startswith("-") else f"¥{text}"
