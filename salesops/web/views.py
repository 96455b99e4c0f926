"""Shell pages: language switch, health check (the dashboard is ``reports.views.home``)."""

from __future__ import annotations

from django.db import connection
from django.http import JsonResponse
from django.utils import translation
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from salesops.core import clock


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
