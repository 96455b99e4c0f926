from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Complaint, NpsResponse, Renewal, ServiceTicket


class FeedRecordAdmin(SimpleHistoryAdmin):
    raw_id_fields = ("account",)
    list_select_related = ("account",)
    # Custom values are validated by the services; the raw JSON is shown, not edited.
    readonly_fields = ("custom",)


@admin.register(Complaint)
class ComplaintAdmin(FeedRecordAdmin):
    list_display = ("summary", "account", "severity", "status", "raised_on", "owner")
    list_filter = ("severity", "status", "source")
    search_fields = ("summary", "external_id", "account__name")
    raw_id_fields = ("account", "contact", "owner")


@admin.register(NpsResponse)
class NpsResponseAdmin(FeedRecordAdmin):
    list_display = ("account", "score", "category", "responded_on", "survey")
    list_filter = ("category", "source")
    search_fields = ("comment", "survey", "external_id", "account__name")
    raw_id_fields = ("account", "contact")


@admin.register(ServiceTicket)
class ServiceTicketAdmin(FeedRecordAdmin):
    list_display = ("subject", "account", "priority", "opened_at", "first_response_at")
    list_filter = ("priority", "source")
    search_fields = ("subject", "external_id", "account__name")
    raw_id_fields = ("account", "contact")
    readonly_fields = (
        "custom",
        "response_working_minutes",
        "response_hours",
        "resolution_working_minutes",
        "resolution_hours",
    )


@admin.register(Renewal)
class RenewalAdmin(FeedRecordAdmin):
    list_display = ("account", "contract_number", "due_on", "status", "amount", "closed_on")
    list_filter = ("status", "source")
    search_fields = ("contract_number", "external_id", "account__name")
