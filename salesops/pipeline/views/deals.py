"""Pages: deals (filled by its owner)."""

urlpatterns: list = []
