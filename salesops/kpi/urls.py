"""KPI pages (SPEC K1–K10), one module per area."""

from . import urls_growth, urls_me, urls_review, urls_schemes

app_name = "kpi"

urlpatterns = [
    *urls_schemes.urlpatterns,
    *urls_me.urlpatterns,
    *urls_growth.urlpatterns,
    *urls_review.urlpatterns,
]
