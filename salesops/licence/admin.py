from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import LicencePolicy, LicenceScan


@admin.register(LicenceScan)
class LicenceScanAdmin(SimpleHistoryAdmin):
    list_display = ("pk", "user", "state", "progress", "keep_photo", "created_at", "ocr_seconds")
    list_filter = ("state", "keep_photo")
    readonly_fields = ("fields", "error", "started_at", "finished_at", "ocr_seconds")


@admin.register(LicencePolicy)
class LicencePolicyAdmin(SimpleHistoryAdmin):
    list_display = ("pk", "max_image_mb", "keep_photo_default")
