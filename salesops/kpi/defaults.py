"""The built-in metric library, radar dimensions and default scheme (idempotent by code)."""

from __future__ import annotations


def install(**kwargs) -> None:
    """post_migrate: create what is missing; never overwrite an admin's edit."""
