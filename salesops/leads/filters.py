"""The lead filterset, shared by the list page, its export and the API (``GET /leads``).

The page ignores a value it cannot use (a stale bookmark still lists leads); the API
refuses it with a 422 naming the parameter (``LeadFilterSet.errors``)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import OPEN_STATUSES, Lead, LeadStatus, ReviewState

SLA_FILTERS = ("running", "due_soon", "breached", "met", "late", "none")
FILTER_NAMES = ("q", "status", "owner", "channel", "sla", "province", "city", "team", "review")


class LeadFilterForm(forms.Form):
    """Checks each value and names what is allowed (the API's 422 messages)."""

    def clean_status(self):
        status = self.cleaned_data.get("status") or ""
        if status and status != "open" and status not in LeadStatus.values:
            raise forms.ValidationError(
                _("Choose one of: %(choices)s.")
                % {"choices": ", ".join(["open", *LeadStatus.values])}
            )
        return status

    def clean_owner(self):
        owner = str(self.cleaned_data.get("owner") or "").strip()
        if owner and owner not in ("me", "none") and not owner.isdigit():
            raise forms.ValidationError(_("Give a user id, “me” or “none”."))
        return owner

    def clean_sla(self):
        sla = self.cleaned_data.get("sla") or ""
        if sla and sla not in SLA_FILTERS:
            raise forms.ValidationError(
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(SLA_FILTERS)}
            )
        return sla


def _digits_id(value) -> int | None:
    value = str(value or "")
    return int(value) if value.isdigit() else None


class LeadFilterSet(django_filters.FilterSet):
    """``q`` (name, company, phone digits), ``status`` (``open`` = the three open levels),
    ``owner`` (id, ``me`` or ``none`` for the pool), ``channel``, ``sla``, ``province``,
    ``city``, ``team``, ``review`` (``1``), ``escalated`` (``1``: escalated, not yet
    contacted). ``owner=me`` reads ``user`` (or the request's)."""

    q = django_filters.CharFilter(method="filter_q", label=gettext_lazy("Search"))
    status = django_filters.CharFilter(method="filter_status", label=gettext_lazy("status"))
    owner = django_filters.CharFilter(method="filter_owner", label=gettext_lazy("owner"))
    channel = django_filters.CharFilter(method="filter_channel", label=gettext_lazy("channel"))
    sla = django_filters.CharFilter(method="filter_sla", label=gettext_lazy("SLA"))
    province = django_filters.CharFilter(method="filter_region", label=gettext_lazy("province"))
    city = django_filters.CharFilter(method="filter_region", label=gettext_lazy("city"))
    team = django_filters.CharFilter(method="filter_team", label=gettext_lazy("team"))
    review = django_filters.CharFilter(method="filter_review", label=gettext_lazy("review"))
    escalated = django_filters.CharFilter(
        method="filter_escalated", label=gettext_lazy("escalated")
    )

    class Meta:
        model = Lead
        fields: list[str] = []
        form = LeadFilterForm

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None, user=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.user = user if user is not None else getattr(request, "user", None)

    def filter_q(self, qs, name, value):
        q = (value or "").strip()
        if not q:
            return qs
        digits = "".join(ch for ch in q if ch.isdigit())
        condition = Q(company__icontains=q) | Q(contact_name__icontains=q)
        if len(digits) >= 4:
            condition |= Q(phone__contains=digits)
        return qs.filter(condition)

    def filter_status(self, qs, name, value):
        if value == "open":
            return qs.filter(status__in=OPEN_STATUSES)
        if value in LeadStatus.values:
            return qs.filter(status=value)
        return qs

    def filter_owner(self, qs, name, value):
        if value == "me" and self.user is not None:
            return qs.filter(owner=self.user)
        if value == "none":
            return qs.filter(owner__isnull=True)
        owner_id = _digits_id(value)
        return qs if owner_id is None else qs.filter(owner_id=owner_id)

    def filter_channel(self, qs, name, value):
        channel_id = _digits_id(value)
        return qs if channel_id is None else qs.filter(channel_id=channel_id)

    def filter_sla(self, qs, name, value):
        if value == "none":
            return qs.filter(sla_state="")
        if value in SLA_FILTERS:
            return qs.filter(sla_state=value)
        return qs

    def filter_region(self, qs, name, value):
        value = (value or "").strip()
        return qs.filter(**{name: value}) if value else qs

    def filter_team(self, qs, name, value):
        team_id = _digits_id(value)
        return qs if team_id is None else qs.filter(team_id=team_id)

    def filter_review(self, qs, name, value):
        return qs.filter(review_state=ReviewState.REVIEW) if str(value) == "1" else qs

    def filter_escalated(self, qs, name, value):
        if str(value) != "1":
            return qs
        return qs.filter(escalation_level__gt=0, first_contact_at__isnull=True)
