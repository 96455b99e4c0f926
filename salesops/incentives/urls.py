"""Incentive pages (SPEC I1–I7), one module per area."""

from . import urls_ltv, urls_plans, urls_runs, urls_statements

app_name = "incentives"

urlpatterns = [
    *urls_statements.urlpatterns,
    *urls_plans.urlpatterns,
    *urls_runs.urlpatterns,
    *urls_ltv.urlpatterns,
]
