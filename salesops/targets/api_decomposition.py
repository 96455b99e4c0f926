"""Targets API: decomposition."""

from ninja import Router

router = Router(tags=["targets"])
