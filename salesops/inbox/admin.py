from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import SECRET_FIELDS, InboxSource, Message, ScenarioRule


@admin.register(Message)
class MessageAdmin(SimpleHistoryAdmin):
    list_display = ("received_at", "channel", "sender_address", "subject", "scenario", "account")
    list_filter = ("channel", "scenario", "status", "direction")
    search_fields = ("subject", "body", "sender_address", "source_message_id")
    raw_id_fields = ("account", "contact", "lead", "complaint", "renewal", "assignee", "reply_to")
    exclude = ("reply_address",)


@admin.register(InboxSource)
class InboxSourceAdmin(SimpleHistoryAdmin):
    """Secrets are set on Settings · Inbox sources only; the admin never shows them."""

    list_display = ("name", "kind", "is_active", "last_polled_at")
    exclude = SECRET_FIELDS
    raw_id_fields = ("lead_channel",)


@admin.register(ScenarioRule)
class ScenarioRuleAdmin(SimpleHistoryAdmin):
    list_display = ("scenario", "priority", "is_active")
