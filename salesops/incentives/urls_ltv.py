"""Incentives pages: ltv (filled by the ltv area)."""

urlpatterns: list = []
