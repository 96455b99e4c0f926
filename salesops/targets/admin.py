"""Targets in the Django admin (superusers): to look, not to write — writes go through the
services (state machine, allocation sums, anonymity)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Adjustment,
    Allocation,
    AwardEntitlement,
    Calibration,
    HealthSnapshot,
    Scenario,
    Survey,
    TargetPlan,
    TargetPolicy,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyHistoryAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    pass


@admin.register(TargetPolicy)
class TargetPolicyAdmin(ReadOnlyHistoryAdmin):
    list_display = ("__str__", "pool_formula", "coverage_red", "updated_at", "updated_by")


@admin.register(TargetPlan)
class TargetPlanAdmin(ReadOnlyHistoryAdmin):
    list_display = ("name", "fiscal_year", "team", "product_line", "measure", "state", "version")
    list_filter = ("state", "measure", "fiscal_year")
    search_fields = ("name",)


@admin.register(Calibration)
class CalibrationAdmin(ReadOnlyHistoryAdmin):
    list_display = ("plan", "historical", "market", "manpower", "pool", "computed_at")


@admin.register(Scenario)
class ScenarioAdmin(ReadOnlyHistoryAdmin):
    list_display = ("plan", "code", "name_zh", "name_en", "result")


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyHistoryAdmin):
    list_display = ("plan", "version", "rep", "team", "quadrant", "amount", "adjusted")
    list_filter = ("quadrant", "adjusted")


@admin.register(Adjustment)
class AdjustmentAdmin(ReadOnlyHistoryAdmin):
    list_display = ("plan", "from_version", "to_version", "state", "decided_by", "decided_at")
    list_filter = ("state",)


@admin.register(HealthSnapshot)
class HealthSnapshotAdmin(ReadOnlyAdmin):
    list_display = ("plan", "month", "team", "rep", "coverage", "status")
    list_filter = ("status",)


@admin.register(AwardEntitlement)
class AwardEntitlementAdmin(ReadOnlyAdmin):
    list_display = ("plan", "team", "quarter", "percent", "created_at")


# The survey's answers and participations are not registered: the admin would list
# answers in table order next to who answered, which is what anonymity rules out.
@admin.register(Survey)
class SurveyAdmin(ReadOnlyAdmin):
    list_display = ("plan", "is_open", "closes_on")
