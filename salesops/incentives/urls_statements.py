"""Incentives pages: statements (filled by the statements area)."""

urlpatterns: list = []
