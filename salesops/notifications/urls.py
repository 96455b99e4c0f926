from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("badge/", views.badge, name="badge"),
    path("read-all/", views.mark_all_read, name="mark_all_read"),
    path("<int:pk>/read/", views.mark_read, name="mark_read"),
    path("<int:pk>/open/", views.open_notification, name="open"),
    path("preferences/", views.preferences, name="preferences"),
    path("channels/", views.channel_list, name="channel_list"),
    path("channels/new/", views.channel_form, name="channel_create"),
    path("channels/<int:pk>/edit/", views.channel_form, name="channel_edit"),
    path("channels/<int:pk>/delete/", views.channel_delete, name="channel_delete"),
    path("channels/<int:pk>/test/", views.channel_test, name="channel_test"),
    path("deliveries/", views.delivery_list, name="delivery_list"),
    path("deliveries/policy/", views.delivery_policy, name="delivery_policy"),
    path("deliveries/<int:pk>/retry/", views.delivery_retry, name="delivery_retry"),
]
