from django.urls import path

from . import views

app_name = "customization"
urlpatterns = [
    path("custom-fields/", views.definition_list, name="definition_list"),
    path("custom-fields/new/", views.definition_create, name="definition_create"),
    path("custom-fields/<int:pk>/edit/", views.definition_edit, name="definition_edit"),
    path("custom-fields/<int:pk>/toggle/", views.definition_toggle, name="definition_toggle"),
    path("forms/", views.layout_new, name="layout_new"),
    path("forms/<slug:entity>/<slug:name>/", views.layout_edit, name="layout_edit"),
    path("forms/<slug:entity>/<slug:name>/preview/", views.layout_preview, name="layout_preview"),
    path("forms/<slug:entity>/<slug:name>/delete/", views.layout_delete, name="layout_delete"),
]
