from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    AccountValue,
    Contract,
    Delivery,
    Instalment,
    Invoice,
    LtvFormula,
    Order,
    Payment,
    RevenuePolicy,
)


class InstalmentInline(admin.TabularInline):
    model = Instalment
    extra = 0
    readonly_fields = ("amount",)


@admin.register(Contract)
class ContractAdmin(SimpleHistoryAdmin):
    list_display = ("number", "account", "owner", "amount", "status", "signed_on")
    list_filter = ("status",)
    search_fields = ("number", "account__name", "external_id")
    raw_id_fields = ("account", "owner")
    inlines = [InstalmentInline]


@admin.register(Payment)
class PaymentAdmin(SimpleHistoryAdmin):
    list_display = ("contract", "amount", "received_on", "method", "flagged")
    list_filter = ("method", "flagged")
    raw_id_fields = ("contract", "account", "instalment")


@admin.register(Invoice)
class InvoiceAdmin(SimpleHistoryAdmin):
    list_display = ("number", "contract", "amount", "issued_on", "status")
    raw_id_fields = ("contract", "account")


@admin.register(Delivery)
class DeliveryAdmin(SimpleHistoryAdmin):
    list_display = ("name", "contract", "planned_week", "actual_week", "status")
    raw_id_fields = ("contract", "account")


@admin.register(Order)
class OrderAdmin(SimpleHistoryAdmin):
    list_display = ("number", "contract", "amount", "ordered_on", "status")
    raw_id_fields = ("contract", "account")


@admin.register(LtvFormula)
class LtvFormulaAdmin(admin.ModelAdmin):
    """Versions are added, never edited: a stored LTV names the exact source it used."""

    list_display = ("version", "source", "note", "created_at", "created_by")
    readonly_fields = ("version", "created_at", "created_by")

    def has_change_permission(self, request, obj=None):
        return obj is None

    def save_model(self, request, obj, form, change):
        from . import ltv

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


@admin.register(RevenuePolicy)
class RevenuePolicyAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "billing_roles", "signed_contract_roles", "payment_over_contract")
