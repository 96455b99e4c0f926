from django.urls import path

from . import views, views_settings

# Included at the site's root: the profile under me/, the organisation's settings next to
# the other settings pages.
app_name = "org"
urlpatterns = [
    path("me/", views.profile, name="profile"),
    path("me/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("me/user-changes/", views.user_change_list, name="user_change_list"),
    path("me/user-changes/export.<str:fmt>", views.user_change_export, name="user_change_export"),
    path("settings/organisation/", views_settings.org_settings, name="settings"),
    path(
        "settings/organisation/lists/<slug:key>/",
        views_settings.choice_list_edit,
        name="choice_list",
    ),
]
