from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import KnowledgeItem, KnowledgePolicy, KnowledgeTag, KnowledgeUsage, Push


@admin.register(KnowledgeTag)
class KnowledgeTagAdmin(admin.ModelAdmin):
    list_display = ("code", "label_zh", "label_en")
    search_fields = ("code", "label_zh", "label_en")


@admin.register(KnowledgeItem)
class KnowledgeItemAdmin(SimpleHistoryAdmin):
    list_display = ("title", "kind", "channel", "is_active", "version", "updated_at")
    list_filter = ("kind", "channel", "is_active")
    search_fields = ("title", "summary")
    # Writes go through the services (placeholder check, index version): read-only here.
    readonly_fields = ("search_tokens",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(KnowledgePolicy)
class KnowledgePolicyAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "attachment_max_mb", "updated_at")


@admin.register(KnowledgeUsage)
class KnowledgeUsageAdmin(admin.ModelAdmin):
    list_display = ("at", "user", "action", "item", "query")
    list_filter = ("action",)


@admin.register(Push)
class PushAdmin(admin.ModelAdmin):
    list_display = ("item", "user", "key", "delivered_at", "read_at", "closed_at")
