from django.urls import path

from . import hooks, views, views_settings

app_name = "inbox"

urlpatterns = [
    path("", views.message_list, name="message_list"),
    path("export.<str:fmt>", views.message_export, name="message_export"),
    path("<int:pk>/", views.message_detail, name="message_detail"),
    path("<int:pk>/link/", views.message_link, name="message_link"),
    path("<int:pk>/reply/", views.message_reply, name="message_reply"),
    path(
        "<int:pk>/replies/<int:reply_pk>/resend/", views.reply_resend, name="message_reply_resend"
    ),
    path("<int:pk>/status/", views.message_status, name="message_status"),
    path("hooks/wecom/<int:source_id>/", hooks.wecom, name="hook_wecom"),
    path("hooks/dingtalk/<int:source_id>/", hooks.dingtalk, name="hook_dingtalk"),
    path("settings/sources/", views_settings.source_list, name="source_list"),
    path("settings/sources/new/", views_settings.source_edit, name="source_create"),
    path("settings/sources/<int:pk>/", views_settings.source_edit, name="source_edit"),
    path("settings/sources/<int:pk>/poll/", views_settings.source_poll, name="source_poll"),
    path("settings/rules/", views_settings.rule_list, name="rule_list"),
    path("settings/rules/new/", views_settings.rule_edit, name="rule_create"),
    path("settings/rules/<int:pk>/", views_settings.rule_edit, name="rule_edit"),
    path("settings/rules/<int:pk>/delete/", views_settings.rule_delete, name="rule_delete"),
]
