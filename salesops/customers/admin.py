from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Account, Contact


@admin.register(Account)
class AccountAdmin(SimpleHistoryAdmin):
    list_display = ("name", "credit_code", "province", "city", "industry", "level", "owner")
    list_filter = ("level", "industry", "size_band", "province")
    search_fields = ("name", "credit_code")
    raw_id_fields = ("owner",)
    list_select_related = ("owner",)
    # Custom values are validated by the services; the raw JSON is shown, not edited.
    readonly_fields = ("custom",)


@admin.register(Contact)
class ContactAdmin(SimpleHistoryAdmin):
    list_display = ("name", "account", "phone", "decision_role", "title")
    list_filter = ("decision_role",)
    search_fields = ("name", "phone", "account__name")
    raw_id_fields = ("account",)
    list_select_related = ("account",)
    readonly_fields = ("custom",)
