"""KPI pages: review."""

urlpatterns: list = []
