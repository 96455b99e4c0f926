"""Settings · KPI growth (configurers): customer voice, points, rewards, the gap alert."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from salesops.core.history import history_entries

from .. import permissions
from ..forms_growth import GrowthPolicyForm
from ..growth_policy import policy_update
from ..models import GrowthPolicy


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request):
    if not permissions.can_configure(request.user):
        raise PermissionDenied(_("Only a sales-ops admin or a director changes KPI settings."))
    current = GrowthPolicy.current()
    form = GrowthPolicyForm(request.POST or None, instance=current)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            policy_update(actor=request.user, **form.service_data())
        except ValidationError as exc:
            form.attach_errors(exc.message_dict)
            status = 422
        else:
            messages.success(request, _("Growth settings saved; they apply at once."))
            return redirect("kpi:growth_policy")
    context = {"form": form, "entries": history_entries(current), "policy": current}
    return render(request, "kpi/growth_policy.html", context, status=status)


urlpatterns = [path("settings/growth/", policy_edit, name="growth_policy")]
