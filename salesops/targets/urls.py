"""Targets pages (SPEC T1–T6), one module per area."""

from . import urls_decomposition, urls_health, urls_plans, urls_survey

app_name = "targets"

urlpatterns = [
    *urls_plans.urlpatterns,
    *urls_decomposition.urlpatterns,
    *urls_health.urlpatterns,
    *urls_survey.urlpatterns,
]
