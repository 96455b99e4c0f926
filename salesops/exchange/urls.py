"""Import pages under /imports/ (X5), and Settings · App templates (X7) in the same
namespace."""

from django.urls import path

from . import urls_app_templates
from .views import imports, settings

app_name = "exchange"

urlpatterns = [
    path("", imports.home, name="home"),
    path("upload/", imports.upload, name="upload"),
    path("settings/", settings.policy, name="policy"),
    path("templates/<slug:entity>.xlsx", settings.template, name="template"),
    path("templates/<slug:entity>/data.xlsx", settings.template_data, name="template_data"),
    path("<int:pk>/", imports.job_detail, name="job"),
    path("<int:pk>/mapping/", imports.job_mapping, name="job_mapping"),
    path("<int:pk>/check/", imports.job_check, name="job_check"),
    path("<int:pk>/commit/", imports.job_commit, name="job_commit"),
    path("<int:pk>/progress/", imports.job_progress, name="job_progress"),
    path("<int:pk>/report.xlsx", imports.job_report, name="job_report"),
]

urlpatterns += urls_app_templates.urlpatterns
