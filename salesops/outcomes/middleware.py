"""Daily "seen" of each user, for the daily and weekly active users (issue 21).

Nothing else records that a person used SalesOps on a day (``last_login`` is only the
last sign-in; activities only those who log them), so this notes one row per user and
day. Cheap: a sign-in notes the day (:func:`note_login`, on ``user_logged_in``) and the
session remembers it, so a browser's requests write nothing until its session reaches a
new day; API calls without a session use the cache. One insert per user a day, not one
per request."""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import DatabaseError

from salesops.core import clock

from . import services

SESSION_KEY = "outcomes_seen_day"
log = logging.getLogger(__name__)


class SeenMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # After the view: the API authenticates by token inside the view.
        user = getattr(request, "user", None) or getattr(request, "auth", None)
        if user is not None and getattr(user, "is_authenticated", False):
            self._note(request, user)
        return response

    @staticmethod
    def _note(request, user) -> None:
        day = clock.today()
        text = day.isoformat()
        session = getattr(request, "session", None)
        if session is not None and session.session_key:
            # A browser: its session remembers the day it was noted.
            if session.get(SESSION_KEY) == text:
                return
            if _record(user.pk, day):
                session[SESSION_KEY] = text
            return
        # An API token (no session): the cache remembers it for the process.
        key = f"outcomes:seen:{user.pk}:{text}"
        if cache.add(key, 1, 60 * 60 * 26) and not _record(user.pk, day):
            cache.delete(key)


def _record(user_id: int, day) -> bool:
    try:
        services.seen_record(user_id, day)
    except DatabaseError:
        # The answer is ready; a busy database must not turn it into an error. The next
        # request of the day tries again.
        log.warning("could not note user %s as seen on %s", user_id, day, exc_info=True)
        return False
    return True


def note_login(sender, request=None, user=None, **kwargs) -> None:
    """``user_logged_in``: the day of a sign-in is a day seen; the session remembers it."""
    if request is None or user is None:
        return
    day = clock.today()
    if _record(user.pk, day) and getattr(request, "session", None) is not None:
        request.session[SESSION_KEY] = day.isoformat()
