"""Settings · Targets (configurers): every number of the targets module, one form."""

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
from ..forms_policy import PolicyForm
from ..models import TargetPolicy
from ..policy import policy_update


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request):
    if not permissions.can_configure(request.user):
        raise PermissionDenied(_("Only a sales-ops admin or a director changes target settings."))
    current = TargetPolicy.current()
    form = PolicyForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            policy_update(actor=request.user, **form.service_data())
        except ValidationError as exc:
            form.attach_errors(exc.message_dict)
        else:
            messages.success(request, _("Target settings saved; they apply at once."))
            return redirect("targets:policy")
    groups = [
        (_("Plans and calibration"), form.group("calibration")),
        (_("Capability-resource matrix"), form.group("matrix")),
        (_("Target health and the process-health award"), form.group("health")),
        (_("Visibility and the survey"), form.group("visibility")),
    ]
    context = {
        "form": form,
        "groups": groups,
        "entries": history_entries(current),
        "policy": current,
    }
    return render(request, "targets/policy_form.html", context)


urlpatterns = [path("settings/", policy_edit, name="policy")]
