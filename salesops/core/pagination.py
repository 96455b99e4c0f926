"""Page-number pagination for the API (`paginate`) and the pages (`TwoStepPaginator`)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
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
    results = fetch_rows(queryset, start, start + page_size) if start < count else []
    return {"count": count, "page": page, "page_size": page_size, "results": results}


def fetch_rows(queryset, start: int, stop: int) -> list:
    """Rows ``start:stop`` of ``queryset`` in two steps: first only the primary keys (an
    index-only scan, cheap even at a deep OFFSET), then the full rows with their joins for
    just those keys. A deep page of a large list otherwise makes the database sort and
    skip thousands of wide joined rows (page 500 of 15,000 visible accounts: 150 → 40 ms
    on SQLite). One extra query, whatever the page size."""
    ids = list(queryset.values_list("pk", flat=True)[start:stop])
    if not ids:
        return []
    by_id = queryset.order_by().in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id]


def capped_count(queryset, cap: int) -> int:
    """``min(count, cap + 1)``: counts at most ``cap + 1`` rows (``SELECT COUNT(*) FROM
    (SELECT … LIMIT cap + 1)``), so a list of millions is counted as fast as one of
    ten thousand; a result above ``cap`` means "more than ``cap``"."""
    return queryset.order_by().values("pk")[: cap + 1].count()


# Below this many rows a list is sorted whole: cheap, and no window queries that miss.
RECENT_MIN_ROWS = 2_000


def _recent_first(queryset, field: str, windows, start: int, stop: int) -> list | None:
    """The rows ``start:stop`` of a list ordered by ``-field`` first, read from the most
    recent window that holds them. Such a list's first pages are the newest rows, but a
    manager's list is ``owner IN (50 reps)``: the database reads every row of the team
    through the owner index and sorts them all for 25 (500,000 activities: 200 ms). Within
    a recent window (``field >= now - days``) the same query touches a few thousand rows;
    if the window holds at least ``stop`` rows its first ``stop`` rows *are* the list's
    (the order is by ``-field``), otherwise the next window, then the whole list."""
    from salesops.core import clock

    now = clock.now()
    for days in windows:
        ids = list(
            queryset.filter(**{f"{field}__gte": now - dt.timedelta(days=days)}).values_list(
                "pk", flat=True
            )[:stop]
        )
        if len(ids) >= stop:
            return ids[start:stop]
    return None


class TwoStepPaginator(Paginator):
    """Django's Paginator with :func:`fetch_rows` for the page's rows.

    ``count=`` gives the number of rows when the caller has already counted them (e.g.
    in one aggregate with other totals of the list), saving the paginator's own COUNT.

    ``cap=`` counts at most that many rows (:func:`capped_count`); above it ``capped`` is
    true, the list shows "10,000+" and pages stop there (filters narrow a longer list).

    ``recent=(field, (days, …))`` reads the page from recent windows first when the list
    is ordered by ``-field`` (:func:`_recent_first`)."""

    capped = False

    @property
    def count_display(self) -> str:
        """ "10,000+" when the count stopped at the cap, else "" (templates fall back to
        the count: ``count_display|default:count|intcomma``)."""
        return f"{intcomma(self.count)}+" if self.capped else ""

    def __init__(
        self,
        *args,
        count: int | None = None,
        cap: int | None = None,
        recent=None,
        recent_min: int = RECENT_MIN_ROWS,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        if count is None and cap is not None:
            count = capped_count(self.object_list, cap)
            if count > cap:
                count, self.capped = cap, True
        if count is not None:
            self.__dict__["count"] = count  # Paginator.count is a cached_property
        self.recent, self.recent_min = recent, recent_min
        if recent is not None:
            ordering = list(
                self.object_list.query.order_by or self.object_list.model._meta.ordering
            )
            if not ordering or ordering[0] != f"-{recent[0]}":
                self.recent = None

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = None
        if self.recent is not None and self.count > self.recent_min:
            ids = _recent_first(self.object_list, *self.recent, bottom, top)
        if ids is None:
            return self._get_page(fetch_rows(self.object_list, bottom, top), number, self)
        by_id = self.object_list.order_by().in_bulk(ids)
        return self._get_page([by_id[pk] for pk in ids if pk in by_id], number, self)
