"""Pages: configure (filled by its owner)."""

urlpatterns: list = []
