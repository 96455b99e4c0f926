"""Targets pages: health (filled by its helper)."""

urlpatterns: list = []
