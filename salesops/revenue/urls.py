from django.urls import path

from . import views

app_name = "revenue"
urlpatterns = [
    path("contracts/", views.contract_list, name="contract_list"),
    path("contracts/export.<str:fmt>", views.contract_export, name="contract_export"),
    path("contracts/<int:pk>/", views.contract_detail, name="contract_detail"),
    path("contracts/<int:pk>/deal/", views.contract_deal, name="contract_deal"),
    path("contracts/<int:pk>/history/", views.contract_history, name="contract_history"),
    path("contracts/<int:pk>/payments/new/", views.payment_new, name="payment_new"),
    path("payments/", views.payment_list, name="payment_list"),
    path("payments/export.<str:fmt>", views.payment_export, name="payment_export"),
    path("invoices/", views.invoice_list, name="invoice_list"),
    path("policy/", views.policy_edit, name="policy"),
    path("invoices/export.<str:fmt>", views.invoice_export, name="invoice_export"),
]
