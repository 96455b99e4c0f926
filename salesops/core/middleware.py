"""Cross-cutting middleware: the user's language, the API client-version check (X4) and
the CSRF cookie of background requests."""

from __future__ import annotations

import re

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _

_VERSION_RE = re.compile(r"^\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?")


def parse_version(text: str) -> tuple[int, int, int] | None:
    match = _VERSION_RE.match(text or "")
    if not match:
        return None
    return tuple(int(g or 0) for g in match.groups())  # type: ignore[return-value]


class UserLanguageMiddleware:
    """Use the language saved on a logged-in user's profile (set by the language switch).

    Runs after AuthenticationMiddleware; LocaleMiddleware has already picked the cookie or
    browser language, which is what anonymous pages (the login page) use.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        response = self.get_response(request)
        response.setdefault("Content-Language", translation.get_language())
        return response


class BackgroundCsrfCookieMiddleware:
    """A background request (fetch/XHR: ``Sec-Fetch-Mode`` other than ``navigate``) never
    re-sends the CSRF cookie it already carried.

    Django re-sends the cookie on every response that renders a token, only to renew its
    expiry. A request that left before the cookie changed (the offline app's worker
    caching pages, an htmx poll) and answers after a login rotated it, or after the user
    cleared cookies and opened the login page, would put the old cookie back under the
    new form: the next POST is refused with "CSRF token incorrect". Renewal is left to
    navigations; a *new* cookie (the request had none) is still sent, since the fragment's
    token needs it. Sits before ``CsrfViewMiddleware`` so it sees the cookie it set."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.name = settings.CSRF_COOKIE_NAME

    def __call__(self, request):
        response = self.get_response(request)
        sent = response.cookies.get(self.name)
        if (
            sent is not None
            and request.headers.get("Sec-Fetch-Mode", "navigate") != "navigate"
            and sent.value == request.COOKIES.get(self.name)
        ):
            del response.cookies[self.name]
        return response


class ClientVersionMiddleware:
    """Refuse API clients older than ``SALESOPS["MIN_CLIENT_VERSION"]`` with HTTP 426.

    The answer is the JSON error shape plus ``minimum_version``, and the minimum in the
    ``X-Minimum-Client-Version`` header. Clients that send no ``X-Client-Version`` header (browsers, curl) are not checked:
    only a client that says which version it is can be told it is too old.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.minimum = parse_version(settings.SALESOPS.get("MIN_CLIENT_VERSION", "0"))

    def __call__(self, request):
        header = request.headers.get("X-Client-Version")
        if header is not None and request.path.startswith("/api/"):
            version = parse_version(header)
            if version is None or (self.minimum and version < self.minimum):
                minimum = settings.SALESOPS.get("MIN_CLIENT_VERSION")
                with translation.override(translation.get_language_from_request(request)):
                    message = _(
                        "This app version (%(version)s) is no longer supported. Please upgrade "
                        "to %(minimum)s or later."
                    ) % {"version": header, "minimum": minimum}
                response = JsonResponse(
                    {
                        "code": "upgrade_required",
                        "message": message,
                        "field": "X-Client-Version",
                        "minimum_version": minimum,
                    },
                    status=426,
                )
                # Not ``Upgrade``: it is hop-by-hop, and WSGI servers (waitress, gunicorn)
                # turn a response carrying it into a 500 (PEP 3333).
                response["X-Minimum-Client-Version"] = minimum
                return response
        return self.get_response(request)


class NulQueryMiddleware:
    """Refuse a page request whose query string holds a NUL character with a 400 naming the
    parameter. PostgreSQL cannot store or compare NUL in text, so a search box fed one
    (``?q=a%00b``) would otherwise fail in the database as a 500; no real value contains
    one. The API answers the same case itself, with its 422 error shape."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            for name, values in request.GET.lists():
                if "\x00" in name or any("\x00" in value for value in values):
                    message = _(
                        "“%(name)s”: the value holds an invisible NUL character; remove it and "
                        "try again."
                    ) % {"name": name.replace("\x00", "")}
                    return render(request, "400.html", {"message": message}, status=400)
        return self.get_response(request)
