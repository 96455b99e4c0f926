"""Read-mostly admin for leads: support staff look things up here; every change goes
through the services and pages (routing, SLA clock, caps, audit and events), so the
lead, its inquiries and assignments are shown, not edited."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Assignment, Channel, DailyLeadCount, Inquiry, Lead, RoutingMember, RoutingRule


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class InquiryInline(admin.TabularInline):
    model = Inquiry
    extra = 0
    fields = ("received_at", "channel", "campaign", "matched_by", "score")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Lead)
class LeadAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    list_display = ("company", "contact_name", "status", "owner", "team", "channel", "sla_state")
    list_filter = ("status", "sla_state", "review_state", "channel", "province")
    search_fields = ("company", "contact_name", "phone", "credit_code")
    list_select_related = ("owner", "team", "channel")
    date_hierarchy = "created_at"
    inlines = (InquiryInline,)


@admin.register(Inquiry)
class InquiryAdmin(ReadOnlyAdmin):
    list_display = ("lead", "channel", "received_at", "matched_by", "score")
    list_filter = ("matched_by", "channel")
    search_fields = ("lead__company", "campaign")
    list_select_related = ("lead", "channel")


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ("lead", "owner", "previous_owner", "strategy", "rule_name", "created_at")
    list_filter = ("strategy",)
    search_fields = ("lead__company", "rule_name", "reason")
    list_select_related = ("lead", "owner", "previous_owner")


@admin.register(DailyLeadCount)
class DailyLeadCountAdmin(ReadOnlyAdmin):
    list_display = ("user", "day", "count")
    list_filter = ("day",)
    list_select_related = ("user",)


@admin.register(Channel)
class ChannelAdmin(SimpleHistoryAdmin):
    """Channels are edited on their page (token revocation, rate limit); here they are
    listed, and a save still reaches the intake's channel cache (invalidated on save)."""

    list_display = ("name", "kind", "campaign", "is_active", "rate_limit", "team")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "campaign")
    readonly_fields = ("token",)
    raw_id_fields = ("team",)


class RoutingMemberInline(admin.TabularInline):
    model = RoutingMember
    extra = 0
    fields = ("user", "weight")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(RoutingRule)
class RoutingRuleAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    """Rules are edited on the routing page, which checks their condition against the
    lead's variables and their reps; here they are only listed."""

    list_display = ("name", "priority", "is_active", "strategy", "team")
    list_filter = ("is_active", "strategy")
    search_fields = ("name", "condition")
    inlines = (RoutingMemberInline,)
