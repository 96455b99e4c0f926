from django.urls import path

from . import views

app_name = "diagnosis"

urlpatterns = [
    path("", views.index, name="index"),
    path("run/", views.run, name="run"),
    path("status/", views.status, name="status"),
    path("report/", views.report, name="report"),
    path("settings/", views.policy, name="policy"),
    path("<slug:code>/", views.records, name="records"),
    path("<slug:code>/export.<str:fmt>", views.records_export, name="records_export"),
]
