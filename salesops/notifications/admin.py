from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import ChannelConfig, Delivery, DeliveryPolicy, Notification, NotificationPreference


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("title", "recipient", "kind", "source", "created_at", "read_at")
    list_filter = ("kind",)
    search_fields = ("title", "source", "recipient__username")
    raw_id_fields = ("recipient",)
    list_select_related = ("recipient",)


@admin.register(ChannelConfig)
class ChannelConfigAdmin(SimpleHistoryAdmin):
    list_display = ("name", "kind", "active")
    list_filter = ("kind", "active")
    exclude = ("secret",)  # set it on the SalesOps channel page; never shown back


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "email")
    raw_id_fields = ("user",)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "channel",
        "target_display",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "sent_at",
    )
    list_filter = ("status", "channel")
    search_fields = ("address", "url", "last_error")
    raw_id_fields = ("notification",)
    list_select_related = ("notification", "config")


@admin.register(DeliveryPolicy)
class DeliveryPolicyAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "max_attempts", "first_retry_seconds", "updated_at")
