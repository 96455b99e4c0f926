"""One filterset for deals, shared by the list page, the kanban, the API and the export.
Custom fields add ``cf_<key>`` filters at run time (``CustomFieldFilterMixin``)."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salesops.core import clock
from salesops.customers.filters import SearchFilter
from salesops.customization.filters import CustomFieldFilterMixin
from salesops.org.models import Team

from .models import CommitCategory, Deal, DealStatus


class DealFilterSet(CustomFieldFilterMixin, django_filters.FilterSet):
    custom_entity = "deal"
    q = SearchFilter(fields=("name", "account__name"))
    pipeline = django_filters.NumberFilter(field_name="pipeline_id", label=_("pipeline"))
    stage = django_filters.NumberFilter(field_name="stage_id", label=_("stage"))
    status = django_filters.ChoiceFilter(choices=DealStatus.choices, label=_("status"))
    owner = django_filters.NumberFilter(field_name="owner_id", label=_("owner"))
    team = django_filters.NumberFilter(method="filter_team", label=_("team"))
    account = django_filters.NumberFilter(field_name="account_id", label=_("account"))
    product_line = django_filters.CharFilter(label=_("product line"))
    commit_category = django_filters.ChoiceFilter(
        choices=CommitCategory.choices, label=_("forecast category")
    )
    qualified = django_filters.BooleanFilter(method="filter_qualified", label=_("qualified"))
    stalled = django_filters.BooleanFilter(method="filter_stalled", label=_("stalled"))
    close_after = django_filters.DateFilter(
        field_name="expected_close_date", lookup_expr="gte", label=_("closes from")
    )
    close_before = django_filters.DateFilter(
        field_name="expected_close_date", lookup_expr="lte", label=_("closes until")
    )
    sort = django_filters.OrderingFilter(
        fields=(
            ("created_at", "created"),
            ("amount", "amount"),
            ("expected_close_date", "close"),
            ("stage_entered_at", "in_stage"),
        ),
        label=_("sort"),
    )

    class Meta:
        model = Deal
        fields = []

    def filter_team(self, queryset, name, value):
        team = Team.objects.filter(pk=value).first()
        if team is None:
            return queryset.none()
        return queryset.filter(owner__team__path__startswith=team.path)

    def filter_qualified(self, queryset, name, value):
        qualified = Q(need_confirmed=True, budget_confirmed=True, decision_maker_identified=True)
        return queryset.filter(qualified) if value else queryset.exclude(qualified)

    def filter_stalled(self, queryset, name, value):
        stalled = Q(status=DealStatus.OPEN, stall_due_at__lte=clock.now())
        return queryset.filter(stalled) if value else queryset.exclude(stalled)
