"""Targets pages: plans (filled by its helper)."""

urlpatterns: list = []
