"""Reads of the read model that span apps: the dashboard's figures.

Every figure goes through the owning app's visibility-applying selector, so the dashboard
counts exactly what the user could open.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.db.models import Count

from salesops.core import clock
from salesops.customers import selectors as customer_selectors
from salesops.leads.models import OPEN_STATUSES, Channel, Lead


def dashboard(*, user) -> dict:
    """The home page's counters and its two charts (accounts by province, new leads by
    channel over 30 days), for what ``user`` sees."""
    accounts = customer_selectors.account_list(user=user)
    contacts = customer_selectors.contact_list(user=user)
    week_ago = clock.now() - dt.timedelta(days=7)
    by_province = list(
        accounts.exclude(province="").values("province").annotate(n=Count("id")).order_by("-n")[:20]
    )
    owned = Lead.objects.owned_visible_to(user).filter(status__in=OPEN_STATUSES)
    pool = Lead.objects.pool_visible_to(user).filter(status__in=OPEN_STATUSES).count()
    month_ago = clock.now() - dt.timedelta(days=30)
    # Counted by channel id here, named after: grouped in the database over a join, SQLite
    # walks every lead of every channel (250 ms) instead of the month's from the
    # created_at indexes; owned and pool apart (each a range of (owner, created_at) /
    # the pool's own rows, not an OR read through both indexes).
    by_channel_id = Counter()
    for part in (Lead.objects.owned_visible_to(user), Lead.objects.pool_visible_to(user)):
        by_channel_id.update(
            part.filter(created_at__gte=month_ago).order_by().values_list("channel_id", flat=True)
        )
    names = dict(Channel.objects.filter(pk__in=list(by_channel_id)).values_list("pk", "name"))
    by_channel = [
        {"channel__name": names.get(pk), "n": n} for pk, n in by_channel_id.most_common(10)
    ]
    return {
        # Owned and pool apart: each from its own index (owner, status) / (team, owner,
        # status) rather than one OR over both.
        "open_leads": owned.count() + pool,
        "pool_leads": pool,
        "breached_leads": owned.filter(sla_state="breached").count(),
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
