"""Settings · Knowledge: the largest course file and the smallest match offered (admins)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from salesops.core.forms import TablerFormMixin, attach_service_errors
from salesops.core.history import history_entries

from .. import services
from ..models import KnowledgePolicy


class PolicyForm(TablerFormMixin, forms.ModelForm):
    class Meta:
        model = KnowledgePolicy
        fields = ["attachment_max_mb", "match_min_percent"]


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request):
    if not request.user.is_admin_role:
        raise PermissionDenied(_("Only a sales-ops admin changes the knowledge settings."))
    current = KnowledgePolicy.current()
    form = PolicyForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.policy_update(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            messages.success(request, _("Knowledge settings saved."))
            return redirect("knowledge:policy")
    context = {"form": form, "entries": history_entries(current)}
    return render(request, "knowledge/policy_form.html", context)


urlpatterns = [path("settings/", policy_edit, name="policy")]
