"""Targets pages: decomposition (T3) and "my target"."""

from .views.decomposition import urlpatterns

__all__ = ["urlpatterns"]
