"""One filterset per model, shared by the list pages, the API and the exports."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from salesops.customers.filters import SearchFilter
from salesops.customization.filters import CustomFieldFilterMixin

from .models import (
    Contract,
    ContractStatus,
    Delivery,
    DeliveryStatus,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentMethod,
)


class ContractFilterSet(CustomFieldFilterMixin, django_filters.FilterSet):
    custom_entity = "contract"
    q = SearchFilter(fields=("number", "account__name", "product_line", "external_id"))
    status = django_filters.ChoiceFilter(choices=ContractStatus.choices, label=_("status"))
    account = django_filters.NumberFilter(field_name="account_id", label=_("account"))
    owner = django_filters.NumberFilter(field_name="owner_id", label=_("owner"))
    deal = django_filters.NumberFilter(field_name="deal_id", label=_("deal"))
    product_line = django_filters.CharFilter(label=_("product line"))
    has_custom_service = django_filters.BooleanFilter(label=_("has customised-service clauses"))
    signed_after = django_filters.DateFilter(
        field_name="signed_on", lookup_expr="gte", label=_("signed from")
    )
    signed_before = django_filters.DateFilter(
        field_name="signed_on", lookup_expr="lte", label=_("signed until")
    )
    sort = django_filters.OrderingFilter(
        fields=(("number", "number"), ("signed_on", "signed"), ("amount", "amount")),
        field_labels={"number": _("number"), "signed_on": _("signed"), "amount": _("amount")},
        label=_("sort"),
    )

    class Meta:
        model = Contract
        fields = []


class PaymentFilterSet(CustomFieldFilterMixin, django_filters.FilterSet):
    custom_entity = "payment"
    q = SearchFilter(fields=("contract__number", "account__name", "reference", "external_id"))
    contract = django_filters.NumberFilter(field_name="contract_id", label=_("contract"))
    account = django_filters.NumberFilter(field_name="account_id", label=_("account"))
    method = django_filters.ChoiceFilter(choices=PaymentMethod.choices, label=_("method"))
    flagged = django_filters.BooleanFilter(label=_("flagged"))
    owner = django_filters.NumberFilter(field_name="account__owner_id", label=_("owner"))
    received_after = django_filters.DateFilter(
        field_name="received_on", lookup_expr="gte", label=_("received from")
    )
    received_before = django_filters.DateFilter(
        field_name="received_on", lookup_expr="lte", label=_("received until")
    )
    sort = django_filters.OrderingFilter(
        fields=(("received_on", "received"), ("amount", "amount")),
        field_labels={"received_on": _("received"), "amount": _("amount")},
        label=_("sort"),
    )

    class Meta:
        model = Payment
        fields = []


class InvoiceFilterSet(CustomFieldFilterMixin, django_filters.FilterSet):
    custom_entity = "invoice"
    q = SearchFilter(fields=("number", "contract__number", "account__name", "external_id"))
    contract = django_filters.NumberFilter(field_name="contract_id", label=_("contract"))
    account = django_filters.NumberFilter(field_name="account_id", label=_("account"))
    status = django_filters.ChoiceFilter(choices=InvoiceStatus.choices, label=_("status"))
    owner = django_filters.NumberFilter(field_name="account__owner_id", label=_("owner"))
    issued_after = django_filters.DateFilter(
        field_name="issued_on", lookup_expr="gte", label=_("issued from")
    )
    issued_before = django_filters.DateFilter(
        field_name="issued_on", lookup_expr="lte", label=_("issued until")
    )
    sort = django_filters.OrderingFilter(
        fields=(("issued_on", "issued"), ("amount", "amount"), ("number", "number")),
        label=_("sort"),
    )

    class Meta:
        model = Invoice
        fields = []


class DeliveryFilterSet(django_filters.FilterSet):
    q = SearchFilter(fields=("name", "contract__number", "account__name"))
    contract = django_filters.NumberFilter(field_name="contract_id", label=_("contract"))
    account = django_filters.NumberFilter(field_name="account_id", label=_("account"))
    status = django_filters.ChoiceFilter(choices=DeliveryStatus.choices, label=_("status"))
    planned_from = django_filters.CharFilter(
        field_name="planned_week", lookup_expr="gte", label=_("planned from week")
    )
    planned_until = django_filters.CharFilter(
        field_name="planned_week", lookup_expr="lte", label=_("planned until week")
    )

    class Meta:
        model = Delivery
        fields = []
