"""Incentives API: plans (filled by the plans area)."""

from ninja import Router

router = Router(tags=["incentives"])
