"""KPI pages: the metric library, schemes and versions, score runs, Settings · KPI."""

from .views import metrics, policy, runs, schemes

urlpatterns: list = [
    *metrics.urlpatterns,
    *schemes.urlpatterns,
    *runs.urlpatterns,
    *policy.urlpatterns,
]
