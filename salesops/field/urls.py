from django.urls import path

from . import views

app_name = "field"

urlpatterns = [
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("field/", views.workbench, name="workbench"),
    path("field/conflicts/", views.conflicts, name="conflicts"),
    path("field/settings/", views.policy, name="policy"),
]
