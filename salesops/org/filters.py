"""Filters for the organisation's pages (one filterset per list, shared with its export)."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import UserChange


class UserChangeFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    field = django_filters.ChoiceFilter(choices=UserChange.Field.choices, label=_("field"))
    changed_after = django_filters.DateFilter(
        field_name="changed_at", lookup_expr="date__gte", label=_("changed from")
    )
    changed_before = django_filters.DateFilter(
        field_name="changed_at", lookup_expr="date__lte", label=_("changed until")
    )

    class Meta:
        model = UserChange
        fields = ["q", "field", "changed_after", "changed_before"]

    def search(self, queryset, name, value):
        """The person changed or the one who changed it, by username or display name."""
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(username__icontains=value)
            | Q(user__display_name__icontains=value)
            | Q(changed_by__username__icontains=value)
            | Q(changed_by__display_name__icontains=value)
        )
