from django.urls import path

from . import views

app_name = "outcomes"

urlpatterns = [
    path("", views.board, name="board"),
    path("export/<str:fmt>/", views.board_export, name="board_export"),
    path("settings/", views.policy, name="policy"),
    path("settings/backfill/", views.backfill, name="backfill"),
    path("settings/backfill/status/", views.backfill_status, name="backfill_status"),
]
