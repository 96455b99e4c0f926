"""Coaching plans (K8) for managers, customer success and configurers."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .. import coaching


@login_required
@require_GET
def plan_list(request):
    if not coaching.may_see_plans(request.user):
        raise PermissionDenied(
            _("Coaching plans are for managers, customer success and configurers.")
        )
    query = request.GET.get("q", "").strip()[:100]
    paginator = Paginator(
        coaching.visible_plans(request.user, query), settings.SALESOPS["PAGE_SIZE"]
    )
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    return render(request, "kpi/coaching/list.html", {"page_obj": page, "query": query})


urlpatterns = [path("coaching/", plan_list, name="coaching")]
