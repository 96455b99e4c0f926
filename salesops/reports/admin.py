from django.contrib import admin

from . import ltv
from .models import AccountValue, ForecastSnapshot, LtvFormula


@admin.register(LtvFormula)
class LtvFormulaAdmin(admin.ModelAdmin):
    """Versions are added, never edited: a stored LTV names the exact source it used."""

    list_display = ("version", "source", "note", "created_at", "created_by")
    readonly_fields = ("version", "created_at", "created_by")

    def has_change_permission(self, request, obj=None):
        return obj is None

    def save_model(self, request, obj, form, change):
        # The service numbers the version and checks the formula again under its lock.
        created = ltv.ltv_formula_create(actor=request.user, source=obj.source, note=obj.note)
        obj.pk, obj.version, obj.created_at = created.pk, created.version, created.created_at


@admin.register(AccountValue)
class AccountValueAdmin(admin.ModelAdmin):
    list_display = ("account", "realised", "projected", "total", "formula_version", "computed_at")
    raw_id_fields = ("account",)
    readonly_fields = [f.name for f in AccountValue._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ForecastSnapshot)
class ForecastSnapshotAdmin(admin.ModelAdmin):
    """Read only: snapshots are what the forecast said on a day; editing one would falsify
    the accuracy measured against it."""

    list_display = ("taken_on", "owner", "team", "period_start", "deals", "weighted", "commit")
    list_filter = ("taken_on", "period_start")
    readonly_fields = [f.name for f in ForecastSnapshot._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
