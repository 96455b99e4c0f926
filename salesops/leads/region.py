"""Province and city from a free-text Chinese address (SPEC L5), with cpca.

cpca loads its place table (and pandas) on first use, so it is imported lazily: only
leads that arrive without a province pay for it, once per process.
"""

from __future__ import annotations

import functools

MUNICIPALITY_CITY = "市辖区"


@functools.lru_cache(maxsize=1)
def _cpca():
    # Imported on first use: cpca loads its national address tables (pandas) on import,
    # which every process would pay at start-up even when no lead has an address.
    import cpca

    return cpca


@functools.lru_cache(maxsize=4096)
def province_city(address: str) -> tuple[str, str]:
    """``("上海市", "上海市")`` for ``"上海市浦东新区张江路88号"``; empty strings when the
    address names no known place."""
    text = (address or "").strip()
    if not text:
        return "", ""
    return _place(_cpca().transform([text]).iloc[0])


def provinces_cities(addresses) -> dict[str, tuple[str, str]]:
    """:func:`province_city` of many addresses with one cpca call (a spreadsheet's batch:
    one call per address costs milliseconds each), keyed by the stripped address."""
    texts = sorted({(a or "").strip() for a in addresses} - {""})
    if not texts:
        return {}
    frame = _cpca().transform(texts)
    return {text: _place(row) for text, (_index, row) in zip(texts, frame.iterrows(), strict=True)}


def _place(row) -> tuple[str, str]:
    province = row.get("省") or ""
    city = row.get("市") or ""
    if not isinstance(province, str):
        province = ""
    if not isinstance(city, str):
        city = ""
    if city == MUNICIPALITY_CITY:
        city = province  # 上海市 / 北京市 / 天津市 / 重庆市 are their own city
    return province, city


def fill(lead, place: tuple[str, str] | None = None) -> bool:
    """Set ``lead.province``/``city`` from its address where missing (``place``: its
    address's province and city, read already). True if it changed."""
    if lead.province and lead.city:
        return False
    province, city = place if place is not None else province_city(lead.address)
    changed = False
    if province and not lead.province:
        lead.province = province
        changed = True
    if city and not lead.city and (not lead.province or lead.province == province):
        lead.city = city
        changed = True
    return changed
