"""Targets API: health."""

from ninja import Router

router = Router(tags=["targets"])
