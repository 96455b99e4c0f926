"""Live scores: source changes mark the owner dirty; a minutely sweep refreshes them."""

from __future__ import annotations


def connect() -> None:
    """Connect the dirty-marking signals and register the sweep."""
