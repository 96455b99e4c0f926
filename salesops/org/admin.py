from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import ApiToken, LeavePeriod, Team, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "display_name", "role", "team", "manager", "is_active")
    list_filter = ("role", "is_active", "team")
    search_fields = ("username", "display_name", "email", "phone")
    fieldsets = DjangoUserAdmin.fieldsets + (
        (
            _("SalesOps"),
            {
                "fields": (
                    "display_name",
                    "phone",
                    "language",
                    "role",
                    "team",
                    "manager",
                    "daily_lead_cap",
                )
            },
        ),
    )


@admin.register(Team)
class TeamAdmin(SimpleHistoryAdmin):
    list_display = ("name", "kind", "parent", "manager", "region", "path")
    list_filter = ("kind",)
    search_fields = ("name", "region")
    readonly_fields = ("path",)


@admin.register(LeavePeriod)
class LeavePeriodAdmin(SimpleHistoryAdmin):
    list_display = ("user", "starts_on", "ends_on", "reason")
    search_fields = ("user__username", "user__display_name")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "key_hash", "last_used_at")
