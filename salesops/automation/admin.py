from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Rule, RuleFiring, RuleVersion, RuleWatermark


class RuleVersionInline(admin.TabularInline):
    model = RuleVersion
    extra = 0
    can_delete = False
    fields = ("number", "trigger_type", "entity", "trigger", "condition", "actions", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Rule)
class RuleAdmin(SimpleHistoryAdmin):
    """Read-mostly: rules are edited through the rule builder / API so that every change
    is validated and versioned."""

    list_display = ("name", "trigger_type", "entity", "event", "is_active", "current_version")
    list_filter = ("trigger_type", "is_active", "entity")
    search_fields = ("name", "code", "event")
    # Switching on resets what the timers watch: do it through the rule builder / API.
    readonly_fields = (
        "is_active",
        "trigger_type",
        "entity",
        "event",
        "current_version",
        "watch_from",
        "created_by",
    )
    inlines = [RuleVersionInline]


@admin.register(RuleFiring)
class RuleFiringAdmin(admin.ModelAdmin):
    list_display = ("rule", "version", "entity", "object_id", "key", "status", "fired_at")
    list_filter = ("status", "entity")
    search_fields = ("key",)
    raw_id_fields = ("rule", "version")
    list_select_related = ("rule", "version")
    date_hierarchy = "fired_at"

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RuleWatermark)
class RuleWatermarkAdmin(admin.ModelAdmin):
    list_display = ("rule", "level", "cutoff")
    raw_id_fields = ("rule",)
