from django.urls import path

from . import intake, views

app_name = "leads"

urlpatterns = [
    path("", views.lead_list, name="lead_list"),
    path("new/", views.quick_entry, name="quick_entry"),
    path("export.<str:fmt>", views.lead_export, name="lead_export"),
    path("<int:pk>/", views.lead_detail, name="lead_detail"),
    path("<int:pk>/edit/", views.lead_edit, name="lead_edit"),
    path("<int:pk>/history/", views.lead_history, name="lead_history"),
    path("<int:pk>/licence-photo/", views.lead_licence_photo, name="lead_licence_photo"),
    path("<int:pk>/status/", views.lead_status, name="lead_status"),
    path("<int:pk>/reassign/", views.lead_reassign, name="lead_reassign"),
    path("<int:pk>/claim/", views.lead_claim, name="lead_claim"),
    path("<int:pk>/convert/", views.lead_convert, name="lead_convert"),
    path("<int:pk>/review/", views.lead_review, name="lead_review"),
    path("intake/<str:token>/", intake.intake_view, name="intake"),
    path("channels/", views.channel_list, name="channel_list"),
    path("channels/new/", views.channel_create, name="channel_create"),
    path("channels/<int:pk>/", views.channel_detail, name="channel_detail"),
    path("channels/<int:pk>/edit/", views.channel_edit, name="channel_edit"),
    path("channels/<int:pk>/token/", views.channel_token, name="channel_token"),
    path("routing/", views.routing_list, name="routing_list"),
    path("routing/new/", views.routing_create, name="routing_create"),
    path("routing/test/", views.routing_test, name="routing_test"),
    path("routing/caps/", views.routing_caps, name="routing_caps"),
    path("routing/caps/<int:pk>/", views.routing_cap_set, name="routing_cap_set"),
    path("routing/<int:pk>/edit/", views.routing_edit, name="routing_edit"),
    path("routing/<int:pk>/delete/", views.routing_delete, name="routing_delete"),
    path("reports/dwell/", views.dwell_report, name="dwell_report"),
]
