"""What every list page needs, once: the page of rows with the filter bar's state. (The
export that falls back to the same filtered list is core/exports.py ``export_or_back``.)

Core stands below the apps, so it reads what it needs through the objects it is given: the
owners through the visibility scope (core/visibility.py, filled in by org) and the custom
fields' filter controls from the filterset (customization's CustomFieldFilterMixin)."""

from __future__ import annotations

from django.conf import settings

from .pagination import TwoStepPaginator
from .visibility import visible_users


def sees_owners(user) -> bool:
    """Whether the owner filter makes sense: a manager or someone who sees everything."""
    return user.is_manager_role or user.sees_everything


def list_context(request, filterset, filter_names) -> dict:
    """The page of rows and what the filter bar needs (custom-field columns and filters
    too, when the filterset has them). The paginator counts and slices the queryset;
    nothing else touches the rows, so the cost does not grow with the list."""
    valid = filterset.is_valid()
    queryset = filterset.qs if valid else filterset.queryset.none()
    paginator = TwoStepPaginator(queryset, settings.SALESOPS["PAGE_SIZE"])
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    user = request.user
    context = {
        "filterset": filterset,
        "filter_errors": filterset.errors if not valid else {},
        # Named by their labels, for the alert: some filters (sort) have no control to mark.
        "filter_messages": [
            (filterset.form.fields[name].label, " ".join(errors))
            for name, errors in (filterset.errors.items() if not valid else [])
        ],
        "page_obj": page,
        "rows": page.object_list,
        "filtered": any(request.GET.get(name) for name in filter_names),
        "sort": request.GET.get("sort", ""),
        "current": {name: request.GET.get(name, "") for name in filter_names},
        "owners": [
            (u.pk, u.label) for u in visible_users(user).order_by("display_name", "username")
        ]
        if sees_owners(user)
        else [],
    }
    if hasattr(filterset, "custom_definitions"):
        context["custom_columns"] = [d for d in filterset.custom_definitions if d.show_in_list]
        context["custom_filters"] = filterset.custom_filter_controls(request.GET)
    return context
