"""KPI pages: review — credibility lists (K9), the compliance queue (K10) and their
settings."""

from .views import compliance, credibility, review_policy

urlpatterns: list = [
    *credibility.urlpatterns,
    *compliance.urlpatterns,
    *review_policy.urlpatterns,
]
