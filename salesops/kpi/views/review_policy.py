"""Settings · KPI review (configurers): the compliance scan's lists and the credibility
thresholds, one form, with both rows' history."""

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
from ..forms_review import ReviewPolicyForm
from ..models import CompliancePolicy, GrowthPolicy
from ..review_policy import CREDIBILITY_FIELDS, review_policy_update


@login_required
@require_http_methods(["GET", "POST"])
def review_policy_edit(request):
    if not permissions.can_configure(request.user):
        raise PermissionDenied(_("Only a sales-ops admin or a director changes KPI settings."))
    form = ReviewPolicyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            review_policy_update(actor=request.user, **form.service_data())
        except ValidationError as exc:
            form.attach_errors(exc.message_dict)
        else:
            messages.success(request, _("Review settings saved; they apply at once."))
            return redirect("kpi:review_policy")
    growth = GrowthPolicy.current()
    growth_entries = [
        entry
        for entry in history_entries(growth)
        if not entry.get("changes")
        or any(change.get("field") in CREDIBILITY_FIELDS for change in entry["changes"])
    ]
    context = {
        "form": form,
        "compliance_entries": history_entries(CompliancePolicy.current()),
        "growth_entries": growth_entries,
    }
    return render(request, "kpi/review_policy.html", context)


urlpatterns = [path("settings/review/", review_policy_edit, name="review_policy")]
