"""Settings · KPI (configurers): default group weights, the process range, ranking
visibility, the six comparison metrics and the benchmark — one form, audited."""

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
from ..forms_schemes import KpiPolicyForm
from ..models import KpiPolicy
from ..policy import policy_update


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request):
    if not permissions.can_configure(request.user):
        raise PermissionDenied(_("Only a sales-ops admin or a director changes KPI settings."))
    current = KpiPolicy.current()
    form = KpiPolicyForm(request.POST or None, policy=current)
    if request.method == "POST" and form.is_valid():
        try:
            policy_update(actor=request.user, **form.service_data())
        except ValidationError as exc:
            form.attach_errors(exc.message_dict)
        else:
            messages.success(request, _("KPI settings saved; they apply at once."))
            return redirect("kpi:policy")
    groups = [
        (_("Group weights"), form.group("weights")),
        (_("Ranking and my comparison"), form.group("comparison")),
    ]
    context = {"form": form, "groups": groups, "entries": history_entries(current)}
    return render(request, "kpi/policy.html", context)


urlpatterns = [path("settings/", policy_edit, name="policy")]
