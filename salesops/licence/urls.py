from django.urls import path

from . import views

app_name = "licence"

urlpatterns = [
    path("scans/", views.scan_create, name="scan_create"),
    path("scans/<int:pk>/", views.scan_detail, name="scan_detail"),
    path("scans/<int:pk>/photo/", views.scan_photo, name="scan_photo"),
    path("settings/", views.policy, name="policy"),
]
