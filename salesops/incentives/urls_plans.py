"""Incentives pages: plans (filled by the plans area)."""

urlpatterns: list = []
