"""The inbox's one filterset: the list page, the API and the export."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from salesops.customers.filters import SearchFilter

from .models import Message, MessageStatus, Scenario, SourceKind

MATCH_CHOICES = (("yes", _("Matched")), ("no", _("Unmatched")))
SCOPE_CHOICES = (("mine", _("Mine")), ("team", _("My team")))


class MessageFilterSet(django_filters.FilterSet):
    q = SearchFilter(fields=("subject", "body", "sender_address", "sender_name", "account__name"))
    channel = django_filters.ChoiceFilter(choices=SourceKind.choices, label=_("channel"))
    scenario = django_filters.ChoiceFilter(choices=Scenario.choices, label=_("scenario"))
    status = django_filters.ChoiceFilter(choices=MessageStatus.choices, label=_("status"))
    matched = django_filters.ChoiceFilter(
        choices=MATCH_CHOICES, method="filter_matched", label=_("matched")
    )
    scope = django_filters.ChoiceFilter(
        choices=SCOPE_CHOICES, method="filter_scope", label=_("whose")
    )
    account = django_filters.NumberFilter(field_name="account_id", label=_("account"))
    renewal = django_filters.NumberFilter(field_name="renewal_id", label=_("renewal"))

    class Meta:
        model = Message
        fields: list = []

    def filter_matched(self, qs, name, value):
        if value == "yes":
            return qs.exclude(account__isnull=True, lead__isnull=True)
        if value == "no":
            return qs.filter(account__isnull=True, lead__isnull=True)
        return qs

    def filter_scope(self, qs, name, value):
        user = getattr(self.request, "user", None)
        if value == "mine" and user is not None:
            return qs.filter(assignee=user)
        return qs
