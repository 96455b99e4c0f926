from django.urls import path

from . import views, views_daily

app_name = "activities"
urlpatterns = [
    path("", views.activity_list, name="activity_list"),
    path("export/<str:fmt>/", views.activity_export, name="activity_export"),
    path("check-in/", views.check_in, name="check_in"),
    path("<int:pk>/", views.activity_detail, name="activity_detail"),
    path("daily/", views_daily.daily_report, name="daily_report"),
    path("daily/reports/", views_daily.daily_report_list, name="daily_report_list"),
    path(
        "daily/reports/export/<str:fmt>/",
        views_daily.daily_report_export,
        name="daily_report_export",
    ),
    path("daily/<int:pk>/", views_daily.daily_report_detail, name="daily_report_detail"),
    path("tags/", views.tag_list, name="tag_list"),
    path("tags/new/", views.tag_create, name="tag_create"),
    path("tags/<int:pk>/", views.tag_edit, name="tag_edit"),
    path("tags/<int:pk>/deactivate/", views.tag_deactivate, name="tag_deactivate"),
    path("tags/<int:pk>/activate/", views.tag_activate, name="tag_activate"),
    path("tags/<int:pk>/move/<str:direction>/", views.tag_move, name="tag_move"),
]
