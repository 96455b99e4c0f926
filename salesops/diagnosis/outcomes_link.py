"""INTEGRATION POINT with the outcome board (salesops.outcomes, issue 21 part 1).

The board's metrics — record completeness, active use, placeholder detection — are built
at the same time as this app, on another branch. Until the lead wires them here, every
function below answers ``None`` and the checks that read them are listed on the
diagnosis page as "not available yet" (no value, no light, no made-up number).

To wire after merging (diagnosis sits above outcomes in .importlinter, so it may import
it): replace each body with a call to the board's metric, e.g.::

    from salesops.outcomes import metrics
    return metrics.completeness(scope, start, end)   # -> MetricValue

and map the ``MetricValue`` onto ``(value_percent, numerator, denominator)``.
"""

from __future__ import annotations

from decimal import Decimal

Answer = tuple[Decimal, int | None, int | None] | None


def completeness(scope, start, end) -> Answer:
    """Share of required and recommended fields filled (outcomes: ``completeness``)."""
    return None


def active_use(scope, start, end) -> Answer:
    """Daily active users among licensed users (outcomes: the active-use metric)."""
    return None


def placeholder_fields(scope, start, end) -> list[dict] | None:
    """Required fields mostly filled with placeholders ("无", "-", "1") or copied values,
    per field and per rep (outcomes: ``placeholder_fields``): a list of
    ``{"entity", "field", "rep", "share"}``, or ``None`` while not wired."""
    return None


def is_wired() -> bool:
    return completeness(None, None, None) is not None
