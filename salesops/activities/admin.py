from django.contrib import admin

from .models import Activity, DailyReport, ResultTag


@admin.register(ResultTag)
class ResultTagAdmin(admin.ModelAdmin):
    list_display = ("code", "label_zh", "label_en", "order", "is_active", "counts_as_contact")
    list_editable = ("order", "is_active")
    search_fields = ("code", "label_zh", "label_en")


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ("started_at", "kind", "owner", "lead", "account", "tag", "effective")
    list_filter = ("kind", "effective", "tag")
    search_fields = ("note", "owner__username")
    raw_id_fields = ("owner", "lead", "account", "contact")
    list_select_related = ("owner", "lead", "account", "tag")
    readonly_fields = ("effective",)


@admin.register(DailyReport)
class DailyReportAdmin(admin.ModelAdmin):
    list_display = ("day", "owner", "submitted_at")
    list_filter = ("day",)
    search_fields = ("owner__username", "done", "help_needed")
    raw_id_fields = ("owner",)
    readonly_fields = ("snapshot", "submitted_at")
