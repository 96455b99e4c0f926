"""Pages: moves (filled by its owner)."""

urlpatterns: list = []
