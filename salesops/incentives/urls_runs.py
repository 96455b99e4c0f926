"""Incentives pages: the month-end bonus runs (engine area)."""

from django.urls import path

from .views import runs

urlpatterns: list = [
    path("runs/", runs.run_list, name="run_list"),
    path("runs/start/", runs.run_start, name="run_start"),
    path("runs/tasks/<str:task_id>/", runs.run_progress, name="run_progress"),
    path("runs/tasks/<str:task_id>/status/", runs.run_progress_status, name="run_progress_status"),
    path("runs/<int:pk>/", runs.run_detail, name="run_detail"),
    path("runs/<int:pk>/replay/", runs.run_replay, name="run_replay"),
]
