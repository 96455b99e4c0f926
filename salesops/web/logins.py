"""Settings · Locked logins: the user names and addresses locked by too many wrong passwords,
unlocked from here, and the limits (core.logins)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from salesops.core import logins
from salesops.core.models import LoginPolicy


class LoginPolicyForm(forms.Form):
    failure_limit = forms.IntegerField(
        label=LoginPolicy._meta.get_field("failure_limit").verbose_name,
        help_text=LoginPolicy._meta.get_field("failure_limit").help_text,
        min_value=3,
        max_value=100,
    )
    cooloff_minutes = forms.IntegerField(
        label=LoginPolicy._meta.get_field("cooloff_minutes").verbose_name,
        help_text=LoginPolicy._meta.get_field("cooloff_minutes").help_text,
        min_value=1,
        max_value=7 * 24 * 60,
    )


@login_required
@require_http_methods(["GET", "POST"])
def locked_logins(request):
    logins.require_admin(request.user)  # PermissionDenied → 403 for everybody else
    current = logins.policy()
    form = LoginPolicyForm(
        initial={"failure_limit": current.failure_limit, "cooloff_minutes": current.cooloff_minutes}
    )
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "unlock":
            kind, value = request.POST.get("kind", ""), request.POST.get("value", "")
            try:
                logins.unlock(actor=request.user, kind=kind, value=value)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(
                    request, _("Unlocked %(value)s: it may log in again.") % {"value": value}
                )
            return redirect("locked_logins")
        if action == "policy":
            form = LoginPolicyForm(request.POST)
            if form.is_valid():
                try:
                    logins.policy_update(actor=request.user, **form.cleaned_data)
                except ValidationError as exc:
                    for field, errors in exc.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    messages.success(request, _("Login limits saved."))
                    return redirect("locked_logins")
    context = {"locked": logins.locked_logins(user=request.user), "form": form}
    return render(request, "web/locked_logins.html", context)
