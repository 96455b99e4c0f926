"""The daily report filterset, shared by the list page, the API and the export."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import DailyReport


class DailyReportFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    owner = django_filters.NumberFilter(field_name="owner_id", label=_("owner"))
    date_from = django_filters.DateFilter(field_name="day", lookup_expr="gte", label=_("from"))
    date_to = django_filters.DateFilter(field_name="day", lookup_expr="lte", label=_("until"))
    help = django_filters.BooleanFilter(method="with_help", label=_("help needed"))

    class Meta:
        model = DailyReport
        fields = []

    def search(self, qs, name, value):
        value = (value or "").strip()
        if not value:
            return qs
        return qs.filter(
            Q(done__icontains=value)
            | Q(plans__icontains=value)
            | Q(help_needed__icontains=value)
            | Q(forecast_changes__icontains=value)
        )

    def with_help(self, qs, name, value):
        if value is None:
            return qs
        return qs.exclude(help_needed="") if value else qs.filter(help_needed="")
