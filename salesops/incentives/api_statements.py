"""Incentives API: statements (filled by the statements area)."""

from ninja import Router

router = Router(tags=["incentives"])
