"""Page-number pagination shared by the API (the pages use Django's Paginator)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def paginate(queryset, page: int = 1, page_size: int | None = None) -> dict:
    """Slice ``queryset`` into one page: ``{"count", "page", "page_size", "results"}``.
    Two queries whatever the page size (a COUNT and the page itself)."""
    maximum = settings.SALESOPS.get("API_MAX_PAGE_SIZE", 200)
    if page_size is None:  # not "or": page_size=0 is an error to report, not "the default"
        page_size = settings.SALESOPS.get("PAGE_SIZE", 25)
    errors = {}
    if page < 1:
        errors["page"] = _("Pages start at 1.")
    if page_size < 1 or page_size > maximum:
        errors["page_size"] = _("Choose a page size between 1 and %(max)d.") % {"max": maximum}
    if errors:
        raise ValidationError(errors)
    count = queryset.count()
    start = (page - 1) * page_size
    results = list(queryset[start : start + page_size]) if start < count else []
    return {"count": count, "page": page, "page_size": page_size, "results": results}
