"""KPI pages: schemes."""

urlpatterns: list = []
