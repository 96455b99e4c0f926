"""Settings · App templates. Included into the ``exchange`` namespace by its urls.py
(``urlpatterns += urls_app_templates.urlpatterns``)."""

from django.urls import path

from .views import app_templates

urlpatterns = [
    path("app-templates/", app_templates.app_template, name="app_template"),
    path("app-templates/export/", app_templates.app_template_export, name="app_template_export"),
    path("app-templates/apply/", app_templates.app_template_apply, name="app_template_apply"),
    path("app-templates/industries/", app_templates.industry_templates, name="industry_templates"),
]
