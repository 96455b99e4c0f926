"""Shared KPI test builders (other KPI areas use these)."""

from __future__ import annotations

from decimal import Decimal


def make_metric(code: str, **fields):
    raise NotImplementedError


def make_scheme(
    *,
    name: str = "Sales rep KPI",
    role: str = "rep",
    team=None,
    result_weight: Decimal | int = 60,
    process_weight: Decimal | int = 25,
    quality_weight: Decimal | int = 15,
    items: list[dict] | None = None,
    effective_from=None,
    by=None,
):
    raise NotImplementedError
