from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Contract,
    Delivery,
    Instalment,
    Invoice,
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


@admin.register(RevenuePolicy)
class RevenuePolicyAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "billing_roles", "signed_contract_roles", "payment_over_contract")
