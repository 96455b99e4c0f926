"""Incentives API: runs (filled by the runs area)."""

from ninja import Router

router = Router(tags=["incentives"])
