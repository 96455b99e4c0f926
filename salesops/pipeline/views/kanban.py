"""Pages: kanban (filled by its owner)."""

urlpatterns: list = []
