"""Shell pages: dashboard, language switch, health check."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Count
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from salesops.core import clock
from salesops.customers import selectors as customer_selectors
from salesops.leads import selectors as lead_selectors
from salesops.leads.models import OPEN_STATUSES


@login_required
def home(request):
    accounts = customer_selectors.account_list(user=request.user)
    contacts = customer_selectors.contact_list(user=request.user)
    week_ago = clock.now() - dt.timedelta(days=7)
    by_province = list(
        accounts.exclude(province="").values("province").annotate(n=Count("id")).order_by("-n")[:20]
    )
    leads = lead_selectors.visible_leads(request.user)
    month_ago = clock.now() - dt.timedelta(days=30)
    by_channel = list(
        leads.filter(created_at__gte=month_ago)
        .values("channel__name")
        .annotate(n=Count("id"))
        .order_by("-n")[:10]
    )
    context = {
        "open_leads": leads.filter(status__in=OPEN_STATUSES).count(),
        "pool_leads": leads.filter(owner__isnull=True, status__in=OPEN_STATUSES).count(),
        "breached_leads": leads.filter(status__in=OPEN_STATUSES, sla_state="breached").count(),
        "channel_chart": [{"name": row["channel__name"], "value": row["n"]} for row in by_channel],
        "account_count": accounts.count(),
        "my_account_count": accounts.filter(owner=request.user).count(),
        "contact_count": contacts.count(),
        "new_this_week": accounts.filter(created_at__gte=week_ago).count(),
        "province_chart": {
            "labels": [row["province"] for row in by_province],
            "values": [row["n"] for row in by_province],
        },
    }
    return render(request, "web/home.html", context)


@require_POST
def set_language(request):
    """Django's language switch, plus remembering the choice on the user's profile."""
    response = django_set_language(request)
    code = request.POST.get("language")
    if code and translation.check_for_language(code) and request.user.is_authenticated:
        request.user.language = code
        request.user.save(update_fields=["language"])
    return response


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "time": clock.now().isoformat()})
