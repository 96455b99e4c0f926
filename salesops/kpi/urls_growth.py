"""KPI pages: growth."""

urlpatterns: list = []
