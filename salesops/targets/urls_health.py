"""Targets pages: health (SPEC T4, T5)."""

from .views import health

urlpatterns: list = [*health.urlpatterns]
