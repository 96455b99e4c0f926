from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import ApiToken, LeavePeriod, Team, User, UserChange


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

    def save_model(self, request, obj, form, change):
        # Role, team, manager, cap and active changes are recorded with who made them.
        obj._change_actor = request.user
        super().save_model(request, obj, form, change)


@admin.register(UserChange)
class UserChangeAdmin(admin.ModelAdmin):
    """Read-only: the change log is written by ``User.save`` and never edited."""

    list_display = ("changed_at", "username", "field", "before", "after", "changed_by")
    list_filter = ("field",)
    search_fields = ("username", "before", "after")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
