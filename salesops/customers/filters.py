"""One filterset per model, shared by the list pages, the API and the exports.

Custom fields add ``cf_<key>`` filters at run time (``CustomFieldFilterMixin``)."""

from __future__ import annotations

from functools import partial

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salesops.core import choices
from salesops.customization.filters import CustomFieldFilterMixin

from .models import Account, Contact


class SearchFilter(django_filters.CharFilter):
    """Free-text search over several fields (``icontains`` on each, OR-ed)."""

    def __init__(self, *args, fields=(), **kwargs):
        self.search_fields = fields
        kwargs.setdefault("label", _("Search"))
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        value = (value or "").strip()
        if not value:
            return qs
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": value})
        return qs.filter(condition)


class AccountFilterSet(CustomFieldFilterMixin, django_filters.FilterSet):
    custom_entity = "account"
    q = SearchFilter(fields=("name", "credit_code", "city", "address"))
    province = django_filters.CharFilter(label=_("province"))
    city = django_filters.CharFilter(label=_("city"))
    # Every option of the lists, deactivated ones too: records keep those codes.
    industry = django_filters.ChoiceFilter(
        choices=partial(choices.all_choices, choices.INDUSTRY), label=_("industry")
    )
    size_band = django_filters.ChoiceFilter(
        choices=partial(choices.all_choices, choices.COMPANY_SIZE), label=_("company size")
    )
    level = django_filters.ChoiceFilter(
        choices=partial(choices.all_choices, choices.ACCOUNT_LEVEL), label=_("level")
    )
    owner = django_filters.NumberFilter(field_name="owner_id", label=_("owner"))
    created_after = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label=_("created from")
    )
    created_before = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label=_("created until")
    )
    sort = django_filters.OrderingFilter(
        fields=(
            ("name", "name"),
            ("created_at", "created"),
            ("province", "province"),
            ("level", "level"),
        ),
        field_labels={
            "name": _("name"),
            "created_at": _("created"),
            "province": _("province"),
            "level": _("level"),
        },
        label=_("sort"),
    )

    class Meta:
        model = Account
        fields = []


class ContactFilterSet(CustomFieldFilterMixin, django_filters.FilterSet):
    custom_entity = "contact"
    q = SearchFilter(fields=("name", "phone", "email", "wechat", "account__name"))
    account = django_filters.NumberFilter(field_name="account_id", label=_("account"))
    decision_role = django_filters.ChoiceFilter(
        choices=partial(choices.all_choices, choices.DECISION_ROLE), label=_("decision role")
    )
    owner = django_filters.NumberFilter(field_name="account__owner_id", label=_("owner"))
    sort = django_filters.OrderingFilter(
        fields=(("name", "name"), ("created_at", "created"), ("account__name", "account")),
        label=_("sort"),
    )

    class Meta:
        model = Contact
        fields = []
