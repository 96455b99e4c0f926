"""The entity templates (empty with a sample row, or filled with the records the user
sees: "export for re-import") and Settings · Import and export (configurers)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from salesops.core.history import history_entries

from .. import jobs, permissions, template_book
from ..forms import PolicyForm
from ..models import ExchangePolicy
from .common import importer_for


@login_required
@require_GET
def template(request, entity: str):
    importer = importer_for(request.user, entity)
    return template_book.template_response(importer, user=request.user, with_data=False)


@login_required
@require_GET
def template_data(request, entity: str):
    """The records the user sees in the template's columns, to edit and import again."""
    importer = importer_for(request.user, entity)
    return template_book.template_response(importer, user=request.user, with_data=True)


@login_required
@require_http_methods(["GET", "POST"])
def policy(request):
    if not permissions.can_configure(request.user):
        raise PermissionDenied(
            _("Only a sales-ops admin or a director changes the import and export settings.")
        )
    current = ExchangePolicy.current()
    form = PolicyForm(request.POST or None, policy=current)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                jobs.policy_save(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.attach_errors(exc.message_dict if hasattr(exc, "error_dict") else {})
                if not hasattr(exc, "error_dict"):
                    for message in exc.messages:
                        form.add_error(None, message)
            else:
                messages.success(
                    request, _("Import and export settings saved; they apply at once.")
                )
                return redirect("exchange:policy")
    context = {
        "form": form,
        "fields": [form[name] for name in form.fields],
        "entries": history_entries(current) if current.pk else [],
    }
    return render(request, "exchange/policy.html", context, status=status)
