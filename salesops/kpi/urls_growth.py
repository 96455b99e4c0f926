"""KPI pages: growth (customer voice K6, growth account K7, coaching K8, settings)."""

from .views import coaching, growth_policy, points, voice

urlpatterns: list = [
    *voice.urlpatterns,
    *points.urlpatterns,
    *coaching.urlpatterns,
    *growth_policy.urlpatterns,
]
