from django.urls import path

from . import views

app_name = "automation"
urlpatterns = [
    path("rules/", views.rule_list, name="rule_list"),
    path("rules/new/", views.rule_create, name="rule_create"),
    path("rules/validate/", views.validate, name="validate"),
    path("rules/preview/", views.preview_draft, name="preview_draft"),
    path("rules/<int:pk>/", views.rule_detail, name="rule_detail"),
    path("rules/<int:pk>/edit/", views.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/toggle/", views.rule_toggle, name="rule_toggle"),
    path("rules/<int:pk>/preview/", views.rule_preview, name="rule_preview"),
    path("rules/<int:pk>/versions/<int:number>/", views.version_detail, name="version_detail"),
    path("firings/", views.firing_list, name="firing_list"),
    path("deliveries/", views.delivery_list, name="delivery_list"),
]
