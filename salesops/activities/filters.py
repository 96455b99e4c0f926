"""The activity filterset, shared by the list page, the API and the export. Custom fields
add ``cf_<key>`` filters at run time (``CustomFieldFilterMixin``)."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salesops.customization.filters import CustomFieldFilterMixin

from .models import Activity, ActivityKind


class ActivityFilterSet(CustomFieldFilterMixin, django_filters.FilterSet):
    custom_entity = "activity"
    q = django_filters.CharFilter(method="search", label=_("Search"))
    kind = django_filters.ChoiceFilter(choices=ActivityKind.choices, label=_("type"))
    tag = django_filters.CharFilter(field_name="tag__code", label=_("result"))
    effective = django_filters.BooleanFilter(label=_("effective touch"))
    finished = django_filters.BooleanFilter(
        field_name="tag", lookup_expr="isnull", exclude=True, label=_("finished")
    )
    date_from = django_filters.DateFilter(
        field_name="started_at", lookup_expr="date__gte", label=_("from")
    )
    date_to = django_filters.DateFilter(
        field_name="started_at", lookup_expr="date__lte", label=_("until")
    )
    owner = django_filters.NumberFilter(field_name="owner_id", label=_("owner"))
    lead = django_filters.NumberFilter(field_name="lead_id", label=_("lead"))
    account = django_filters.NumberFilter(field_name="account_id", label=_("account"))
    deal = django_filters.NumberFilter(field_name="deal_id", label=_("deal"))

    class Meta:
        model = Activity
        fields = []

    def search(self, qs, name, value):
        """The note, the lead's company or contact, the account's or contact's name."""
        value = (value or "").strip()
        if not value:
            return qs
        return qs.filter(
            Q(note__icontains=value)
            | Q(lead__company__icontains=value)
            | Q(lead__contact_name__icontains=value)
            | Q(account__name__icontains=value)
            | Q(contact__name__icontains=value)
        )
