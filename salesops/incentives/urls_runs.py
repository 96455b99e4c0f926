"""Incentives pages: runs (filled by the runs area)."""

urlpatterns: list = []
