"""Incentives pages, plans area: bonus plans and versions, Settings · Incentives, mentor
pairs."""

from .views import mentors, plans, policy

urlpatterns: list = [
    *plans.urlpatterns,
    *policy.urlpatterns,
    *mentors.urlpatterns,
]
