from django.urls import path

from . import views

app_name = "org"
urlpatterns = [
    path("", views.profile, name="profile"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("user-changes/", views.user_change_list, name="user_change_list"),
    path("user-changes/export.<str:fmt>", views.user_change_export, name="user_change_export"),
]
