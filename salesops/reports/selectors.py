"""Reads of the read model that span apps: the dashboard's figures.

Every figure goes through the owning app's visibility-applying selector, so the dashboard
counts exactly what the user could open.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count

from salesops.core import clock
from salesops.customers import selectors as customer_selectors
from salesops.leads import selectors as lead_selectors
from salesops.leads.models import OPEN_STATUSES


def dashboard(*, user) -> dict:
    """The home page's counters and its two charts (accounts by province, new leads by
    channel over 30 days), for what ``user`` sees."""
    accounts = customer_selectors.account_list(user=user)
    contacts = customer_selectors.contact_list(user=user)
    week_ago = clock.now() - dt.timedelta(days=7)
    by_province = list(
        accounts.exclude(province="").values("province").annotate(n=Count("id")).order_by("-n")[:20]
    )
    leads = lead_selectors.visible_leads(user)
    month_ago = clock.now() - dt.timedelta(days=30)
    by_channel = list(
        leads.filter(created_at__gte=month_ago)
        .values("channel__name")
        .annotate(n=Count("id"))
        .order_by("-n")[:10]
    )
    return {
        "open_leads": leads.filter(status__in=OPEN_STATUSES).count(),
        "pool_leads": leads.filter(owner__isnull=True, status__in=OPEN_STATUSES).count(),
        "breached_leads": leads.filter(status__in=OPEN_STATUSES, sla_state="breached").count(),
        "channel_chart": [{"name": row["channel__name"], "value": row["n"]} for row in by_channel],
        "account_count": accounts.count(),
        "my_account_count": accounts.filter(owner=user).count(),
        "contact_count": contacts.count(),
        "new_this_week": accounts.filter(created_at__gte=week_ago).count(),
        "province_chart": {
            "labels": [row["province"] for row in by_province],
            "values": [row["n"] for row in by_province],
        },
    }
