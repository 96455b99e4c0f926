"""Settings · Incentives (configurers): the deferred release, the customer-health
coefficient (its variables explained), the customer-success points, the mentor reward and
the breakthrough award — one form, grouped, audited."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from salesops.core.history import history_entries

from .. import formulas, permissions, plan_policy
from ..forms_policy import IncentivePolicyForm
from ..models import IncentivePolicy


@login_required
@require_http_methods(["GET", "POST"])
def policy(request):
    if not permissions.can_configure(request.user):
        raise PermissionDenied(
            _("Only a sales-ops admin or a director changes the incentive settings.")
        )
    current = IncentivePolicy.current()
    form = IncentivePolicyForm(request.POST or None, policy=current)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                plan_policy.update(by=request.user, **form.service_data())
            except ValidationError as exc:
                form.attach_errors(exc.message_dict)
            else:
                messages.success(request, _("Incentive settings saved; they apply at once."))
                return redirect("incentives:policy")
    context = {
        "form": form,
        "groups": form.groups(),
        "variables": [
            {"name": name, "meaning": meaning}
            for name, meaning in formulas.COEFFICIENT_VARIABLES.items()
        ],
        "entries": history_entries(current),
    }
    return render(request, "incentives/policy.html", context, status=status)


urlpatterns = [path("settings/", policy, name="policy")]
