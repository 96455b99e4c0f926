"""Targets pages: survey (filled by its helper)."""

urlpatterns: list = []
