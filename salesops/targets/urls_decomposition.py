"""Targets pages: decomposition (filled by its helper)."""

urlpatterns: list = []
