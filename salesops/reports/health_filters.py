"""The healthy-deal report's filters: the deal filters (team, rep, pipeline, status …)
plus which criterion fails and how many are met. One filterset for the page and the
export."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from salesops.pipeline import health
from salesops.pipeline.filters import DealFilterSet
from salesops.pipeline.models import Deal, DealStatus


class DealHealthFilterSet(DealFilterSet):
    failing = django_filters.ChoiceFilter(
        choices=health.CRITERIA, method="filter_failing", label=_("failing criterion")
    )
    max_passed = django_filters.NumberFilter(
        field_name="health_passed", lookup_expr="lte", label=_("criteria met at most")
    )
    sort = django_filters.OrderingFilter(
        fields=(
            ("health_passed", "health"),
            ("amount", "amount"),
            ("expected_close_date", "close"),
            ("created_at", "created"),
        ),
        label=_("sort"),
    )

    class Meta(DealFilterSet.Meta):
        pass

    def filter_failing(self, queryset, name, value):
        # The criteria are stored in a fixed order: filter on the position's "passed".
        return queryset.filter(**{f"health__criteria__{health.position(value)}__passed": False})


def report_filterset(*, user, data) -> DealHealthFilterSet:
    """The report's rows for ``user`` (the deals they see, not lost; the least healthy
    first), filtered by ``data``: the page, its export and the API read this."""
    queryset = (
        Deal.objects.visible_to(user)
        .exclude(status=DealStatus.LOST)
        .select_related("account", "owner", "pipeline", "stage")
        .order_by("health_passed", "-amount", "-id")
    )
    return DealHealthFilterSet(data, queryset=queryset)
