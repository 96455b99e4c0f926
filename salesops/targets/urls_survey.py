"""Targets pages: the consensus survey of a plan and Settings · Targets."""

from .views import policy, survey

urlpatterns: list = [*survey.urlpatterns, *policy.urlpatterns]
