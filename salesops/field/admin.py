from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import FieldPolicy, SyncConflict, SyncItem


@admin.register(SyncItem)
class SyncItemAdmin(admin.ModelAdmin):
    list_display = (
        "client_uuid",
        "user",
        "kind",
        "status",
        "record_type",
        "record_id",
        "received_at",
    )
    list_filter = ("kind", "status")
    search_fields = ("client_uuid",)
    readonly_fields = [f.name for f in SyncItem._meta.fields]


@admin.register(SyncConflict)
class SyncConflictAdmin(admin.ModelAdmin):
    list_display = ("record_type", "record_id", "field", "user", "status", "chosen", "created_at")
    list_filter = ("status",)


@admin.register(FieldPolicy)
class FieldPolicyAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "max_leads", "max_accounts", "max_batch")
