"""Incentives API: ltv (filled by the ltv area)."""

from ninja import Router

router = Router(tags=["incentives"])
