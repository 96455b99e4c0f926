"""The single source of time for business logic.

Everything reads ``clock.now()``. Tests move it with time-machine (which patches the
system clock underneath ``timezone.now``); ``salesops tick --now ISO`` and black-box tests
pin it with :func:`frozen`, which only affects the current context (thread / task).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt

from django.utils import timezone

_override: contextvars.ContextVar[dt.datetime | None] = contextvars.ContextVar(
    "salesops_clock_override", default=None
)


def now() -> dt.datetime:
    """The current instant, aware, in UTC."""
    pinned = _override.get()
    if pinned is not None:
        return pinned
    # timezone.now() with USE_TZ (always on here) without reading the setting: a bulk
    # writer stamps every row, and the settings lookup was most of the call.
    return dt.datetime.now(dt.UTC)


def system_now() -> dt.datetime:
    """The system's instant, even inside :func:`frozen`: for a watermark that must not run
    ahead of the stamps that requests outside the pinned block will write."""
    return timezone.now()


def localnow() -> dt.datetime:
    """The current instant in the organisation's time zone."""
    return timezone.localtime(now())


def today() -> dt.date:
    return localnow().date()


def parse_instant(value: str) -> dt.datetime:
    """Parse an ISO-8601 instant; a naive value is taken in the organisation's time zone."""
    moment = dt.datetime.fromisoformat(value)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment.astimezone(dt.UTC)


@contextlib.contextmanager
def frozen(moment: dt.datetime):
    """Pin ``now()`` to ``moment`` inside the block (used by ``salesops tick``)."""
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    token = _override.set(moment.astimezone(dt.UTC))
    try:
        yield moment
    finally:
        _override.reset(token)
