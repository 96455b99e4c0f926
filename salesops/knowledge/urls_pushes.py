"""Push pages, mounted at ``knowledge/pushes/`` under their own ``pushes`` namespace
(``salesops/urls.py``)."""

from django.urls import path

from . import views_pushes as views

app_name = "pushes"

urlpatterns = [
    path("", views.my_pushes, name="mine"),
    path("team/", views.team_pushes, name="team"),
    path("team/export.<str:fmt>", views.team_export, name="team_export"),
    path("<int:pk>/", views.push_detail, name="detail"),
    path("<int:pk>/note/", views.push_note, name="note"),
    path("<int:pk>/close/", views.push_close, name="close"),
]
