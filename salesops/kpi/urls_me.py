"""KPI pages: me."""

urlpatterns: list = []
