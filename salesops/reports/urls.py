"""The read model's pages.

Account 360 and LTV by rep live under ``/customers/`` and keep their names
``customers:account_360`` and ``customers:rep_ltv``: users, bookmarks and the account
tabs know them there. The customers urlconf may not import this (higher) app, and Django
resolves only one instance of a namespace, so a second ``include`` with namespace
``customers`` would leave these names unreversible (check urls.W005). The project urlconf
therefore mounts :data:`customer_pages` together with the customers app's own patterns
as the one ``customers`` namespace (see ``salesops/urls.py``).
"""

from django.urls import path

from . import health_views, views, views_heatmap, views_pipeline, views_weekly

customer_pages = [
    path("accounts/<int:pk>/360/", views.account_360, name="account_360"),
    path("accounts/ltv/", views.rep_ltv, name="rep_ltv"),
    path("accounts/ltv/export.<str:fmt>", views.rep_ltv_export, name="rep_ltv_export"),
]

# The "reports" namespace (``reports:<name>``), mounted under /reports/ by the project
# urlconf: the report pages of the read model. The unnamespaced ``urlpatterns`` below keep
# the names the home pages have always had (``home``, ``dashboard``).
report_pages = [
    path("pipeline/conversion/", views_pipeline.pipeline_conversion, name="pipeline_conversion"),
    path("pipeline/forecast/", views_pipeline.pipeline_forecast, name="pipeline_forecast"),
    path("pipeline/qualified/", views_pipeline.pipeline_qualified, name="pipeline_qualified"),
    path("weekly/", views_weekly.weekly_report_view, name="weekly_report"),
    path("deal-health/", health_views.deal_health_report, name="deal_health"),
    path(
        "deal-health/export.<str:fmt>", health_views.deal_health_export, name="deal_health_export"
    ),
    path("heatmap/", views_heatmap.team_heatmap, name="heatmap"),
    path("heatmap/export.<str:fmt>", views_heatmap.heatmap_export, name="heatmap_export"),
    path("snapshot/account/<int:pk>/", views_heatmap.account_snapshot, name="account_snapshot"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("home/leads/<int:pk>/reassign/", views.team_reassign, name="team_reassign"),
]
