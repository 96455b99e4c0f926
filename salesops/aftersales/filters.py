"""One filterset per after-sales model, shared by the list pages, the API and the exports.

Custom fields add ``cf_<key>`` filters at run time (``CustomFieldFilterMixin``)."""

from __future__ import annotations

import datetime as dt

import django_filters
from django.utils.translation import gettext_lazy as _

from salesops.core import clock
from salesops.customers.filters import SearchFilter
from salesops.customization.filters import CustomFieldFilterMixin

from .models import (
    Complaint,
    ComplaintStatus,
    NpsCategory,
    NpsResponse,
    Priority,
    Renewal,
    RenewalStatus,
    ServiceTicket,
    Severity,
)


def _sort(*pairs):
    """An ordering filter over ``(field, param, label)`` triples."""
    return django_filters.OrderingFilter(
        fields=tuple((field, param) for field, param, _label in pairs),
        field_labels={field: label for field, _param, label in pairs},
        label=_("sort"),
    )


def _date_range(field: str, label_from, label_until):
    return (
        django_filters.DateFilter(field_name=field, lookup_expr="gte", label=label_from),
        django_filters.DateFilter(field_name=field, lookup_expr="lte", label=label_until),
    )


class _Common(CustomFieldFilterMixin, django_filters.FilterSet):
    account = django_filters.NumberFilter(field_name="account_id", label=_("account"))
    owner = django_filters.NumberFilter(field_name="account__owner_id", label=_("account owner"))
    source = django_filters.CharFilter(label=_("source"))
    external_id = django_filters.CharFilter(label=_("external id"))


class ComplaintFilterSet(_Common):
    custom_entity = "complaint"
    q = SearchFilter(fields=("summary", "details", "account__name", "external_id"))
    severity = django_filters.ChoiceFilter(choices=Severity.choices, label=_("severity"))
    status = django_filters.ChoiceFilter(choices=ComplaintStatus.choices, label=_("status"))
    is_open = django_filters.BooleanFilter(method="filter_open", label=_("open only"))
    handler = django_filters.NumberFilter(field_name="owner_id", label=_("handled by"))
    raised_after, raised_before = _date_range("raised_on", _("raised from"), _("raised until"))
    sort = _sort(
        ("raised_on", "raised", _("raised on")),
        ("severity", "severity", _("severity")),
        ("status", "status", _("status")),
        ("account__name", "account", _("account")),
    )

    class Meta:
        model = Complaint
        fields = []

    def filter_open(self, qs, name, value):
        if value is None:
            return qs
        return qs.open() if value else qs.exclude(pk__in=qs.open().values("pk"))


class NpsFilterSet(_Common):
    custom_entity = "nps"
    q = SearchFilter(fields=("comment", "survey", "account__name", "external_id"))
    category = django_filters.ChoiceFilter(choices=NpsCategory.choices, label=_("category"))
    survey = django_filters.CharFilter(label=_("survey"))
    score_min = django_filters.NumberFilter(
        field_name="score", lookup_expr="gte", label=_("score from")
    )
    score_max = django_filters.NumberFilter(
        field_name="score", lookup_expr="lte", label=_("score up to")
    )
    responded_after, responded_before = _date_range(
        "responded_on", _("responded from"), _("responded until")
    )
    sort = _sort(
        ("responded_on", "responded", _("responded on")),
        ("score", "score", _("score")),
        ("account__name", "account", _("account")),
    )

    class Meta:
        model = NpsResponse
        fields = []


class TicketState(django_filters.ChoiceFilter):
    """Waiting for a first response, responded (not resolved), or resolved."""

    def filter(self, qs, value):
        if value == "waiting":
            return qs.filter(first_response_at__isnull=True, resolved_at__isnull=True)
        if value == "responded":
            return qs.filter(first_response_at__isnull=False, resolved_at__isnull=True)
        if value == "resolved":
            return qs.filter(resolved_at__isnull=False)
        return qs


TICKET_STATES = [
    ("waiting", _("Waiting for a response")),
    ("responded", _("Responded")),
    ("resolved", _("Resolved")),
]


class TicketFilterSet(_Common):
    custom_entity = "ticket"
    q = SearchFilter(fields=("subject", "details", "account__name", "external_id"))
    priority = django_filters.ChoiceFilter(choices=Priority.choices, label=_("priority"))
    state = TicketState(choices=TICKET_STATES, label=_("state"))
    opened_after = django_filters.DateFilter(
        field_name="opened_at", lookup_expr="date__gte", label=_("opened from")
    )
    opened_before = django_filters.DateFilter(
        field_name="opened_at", lookup_expr="date__lte", label=_("opened until")
    )
    sort = _sort(
        ("opened_at", "opened", _("opened at")),
        ("priority", "priority", _("priority")),
        ("response_working_minutes", "response", _("first response")),
        ("account__name", "account", _("account")),
    )

    class Meta:
        model = ServiceTicket
        fields = []


class RenewalFilterSet(_Common):
    custom_entity = "renewal"
    q = SearchFilter(fields=("contract_number", "lost_reason", "account__name", "external_id"))
    status = django_filters.ChoiceFilter(choices=RenewalStatus.choices, label=_("status"))
    due_after, due_before = _date_range("due_on", _("due from"), _("due until"))
    due_within = django_filters.NumberFilter(
        method="filter_due_within", label=_("due within (days)"), min_value=0, max_value=3660
    )
    sort = _sort(
        ("due_on", "due", _("due on")),
        ("amount", "amount", _("amount")),
        ("status", "status", _("status")),
        ("account__name", "account", _("account")),
    )

    class Meta:
        model = Renewal
        fields = []

    def filter_due_within(self, qs, name, value):
        """Pending renewals due from today to ``value`` days ahead."""
        if value is None:
            return qs
        today = clock.today()
        return qs.filter(
            status=RenewalStatus.PENDING,
            due_on__gte=today,
            due_on__lte=today + dt.timedelta(days=int(value)),
        )
