"""The profile page: personal details, language and API tokens."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST

from salesops.core.exports import export_or_back
from salesops.core.pagination import TwoStepPaginator

from . import selectors, services
from .filters import UserChangeFilterSet
from .forms import ApiTokenForm
from .models import ApiToken, UserChange


@login_required
def profile(request):
    form = ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            token, new_key = services.api_token_create(
                user=request.user, name=form.cleaned_data["name"]
            )
        except ValidationError as exc:
            for field, errs in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errs)
        else:
            messages.success(
                request,
                _("Token “%(name)s” created. Copy it now: it will not be shown again.")
                % {"name": token.name},
            )
            form = ApiTokenForm()
    context = {
        "form": form,
        "new_key": new_key,
        "tokens": ApiToken.objects.filter(user=request.user),
        "manager_chain": selectors.manager_chain(request.user),
        "my_changes": selectors.user_changes(request.user).filter(user=request.user)[:10],
    }
    return render(request, "org/profile.html", context)


@login_required
@require_POST
def token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.api_token_revoke(user=request.user, token_id=token.pk)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("org:profile")


# Columns of the change log's export (also the table's order).
USER_CHANGE_COLUMNS = [
    (_lazy("changed at"), "changed_at"),
    (_lazy("user"), lambda c: c.user.label if c.user_id else c.username),
    (_lazy("username"), "username"),
    (_lazy("field"), "field"),
    (_lazy("before"), "before"),
    (_lazy("after"), "after"),
    (_lazy("changed by"), lambda c: c.changed_by.label if c.changed_by_id else ""),
    (_lazy("at creation"), "created"),
]


FILTERS = ("q", "field", "changed_after", "changed_before")


@login_required
@require_GET
def user_change_list(request):
    """Who changed whose role, team, manager, daily cap or active state, and when."""
    filterset = UserChangeFilterSet(request.GET, queryset=selectors.user_changes(request.user))
    valid = filterset.is_valid()
    paginator = TwoStepPaginator(
        filterset.qs if valid else filterset.queryset.none(), settings.SALESOPS["PAGE_SIZE"]
    )
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    context = {
        "filterset": filterset,
        "filter_errors": {} if valid else filterset.errors,
        "page_obj": page,
        "rows": page.object_list,
        "current": {name: request.GET.get(name, "") for name in FILTERS},
        "filtered": any(request.GET.get(name) for name in FILTERS),
        "fields": UserChange.Field.choices,
    }
    return render(request, "org/user_change_list.html", context)


@login_required
@require_GET
def user_change_export(request, fmt: str):
    """The filtered change log as CSV or Excel, or back to the list saying why not."""
    filterset = UserChangeFilterSet(request.GET, queryset=selectors.user_changes(request.user))
    return export_or_back(
        request, filterset, USER_CHANGE_COLUMNS, fmt, "user-changes", "org:user_change_list"
    )
