from django.contrib import admin

from .models import SweepRun


@admin.register(SweepRun)
class SweepRunAdmin(admin.ModelAdmin):
    list_display = ("name", "last_run_at", "last_summary")
    readonly_fields = ("name", "last_run_at", "last_summary")
