"""Login throttling: django-axes, with its limits kept as data (:class:`LoginPolicy`).

Wrong passwords are counted per user name and per client address (``AXES_LOCKOUT_PARAMETERS``
in the settings). When either count reaches the policy's ``failure_limit`` within its
``cooloff_minutes``, further log-ins for that user, or from that address, are refused —
even with the right password — until the time has passed or a sales-ops admin unlocks them
on Settings · Locked logins. The same holds for the admin site's login, which
authenticates through the same backends.

The settings point axes here: :func:`failure_limit` and :func:`cool_off` read the policy,
:func:`lockout_response` answers a locked log-in with the login page and a message,
:class:`LoginThrottleBackend` checks before any password is.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from axes.backends import AxesStandaloneBackend
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Sum
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import clock
from .models import LoginPolicy

log = logging.getLogger(__name__)


class LoginThrottleBackend(AxesStandaloneBackend):
    """Axes' check before the password backends; refuses a locked user or address.

    Only HTTP log-ins are throttled: ``authenticate()`` without a request (a shell, a
    management command, the test client's ``login``) has no address to count and is not
    something an attacker outside can call, so it passes to the next backend instead of
    failing as axes' own backend would.
    """

    def authenticate(self, request=None, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def username_of(request, credentials=None) -> str | None:
    """``AXES_USERNAME_CALLABLE``: the user name tried, cut to the longest a user name can
    be. The log-in form passes whatever was typed to ``authenticate``; a 3,000-character
    "name" must count as a failure, not overflow the attempt log's column (a 500 on
    PostgreSQL)."""
    username = (credentials or {}).get("username")
    if username is None and request is not None:
        username = request.POST.get("username")
    if username is None:
        return None
    limit = get_user_model()._meta.get_field("username").max_length
    return str(username)[:limit]


def client_address(request) -> str | None:
    """``AXES_CLIENT_IP_CALLABLE``: ``REMOTE_ADDR``, or the first address in the header a
    trusted reverse proxy sets (``CLIENT_IP_HEADER``)."""
    header = getattr(settings, "CLIENT_IP_HEADER", "")
    if header:
        forwarded = request.headers.get(header, "").split(",")[0].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR")


# --- the policy ---------------------------------------------------------------------------
def policy() -> LoginPolicy:
    """The login policy row (the defaults until an admin saves one)."""
    return LoginPolicy.objects.filter(pk=1).first() or LoginPolicy(pk=1)


def failure_limit(request=None, credentials=None) -> int:
    """``AXES_FAILURE_LIMIT``."""
    return policy().failure_limit


def cool_off(request=None) -> timedelta:
    """``AXES_COOLOFF_TIME``."""
    return timedelta(minutes=policy().cooloff_minutes)


def policy_update(*, actor, failure_limit: int, cooloff_minutes: int) -> LoginPolicy:
    """Change the limits (sales-ops admins)."""
    require_admin(actor)
    with transaction.atomic():
        row = LoginPolicy.objects.select_for_update().filter(pk=1).first() or LoginPolicy(pk=1)
        row.failure_limit = failure_limit
        row.cooloff_minutes = cooloff_minutes
        row.updated_at = clock.now()
        row.updated_by = actor
        row.full_clean()
        row._change_reason = "login policy changed"
        row.save()
    return row


def require_admin(user) -> None:
    if not getattr(user, "is_authenticated", False) or not user.is_admin_role:
        raise PermissionDenied(_("Only sales-ops admins may see and unlock locked logins."))


# --- the answer to a locked log-in ----------------------------------------------------------
def lockout_message(minutes: int | None = None) -> str:
    minutes = policy().cooloff_minutes if minutes is None else minutes
    return ngettext(
        "Too many failed log-ins: this account or this network address is locked for "
        "%(minutes)d minute. Try again after that, or ask a sales-ops admin to unlock it "
        "(Settings · Locked logins).",
        "Too many failed log-ins: this account or this network address is locked for "
        "%(minutes)d minutes. Try again after that, or ask a sales-ops admin to unlock it "
        "(Settings · Locked logins).",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """``AXES_LOCKOUT_CALLABLE``: HTTP 429 with the login page and the message (JSON with
    the error shape for clients that ask for JSON)."""
    message = lockout_message()
    wants_json = request.headers.get("X-Requested-With") == "XMLHttpRequest" or (
        "application/json" in request.headers.get("Accept", "")
    )
    if wants_json:
        return JsonResponse(
            {"code": "login_locked", "message": message, "field": "username", "errors": {}},
            status=429,
        )
    context = {
        "locked_message": message,
        "next": request.POST.get("next") or request.GET.get("next", ""),
    }
    return render(request, "registration/login.html", context, status=429)


# --- locked logins, for the admins' page ---------------------------------------------------
@dataclass(frozen=True)
class LockedLogin:
    kind: str  # "user" or "address"
    value: str
    failures: int
    last_attempt: datetime
    unlocks_at: datetime


def locked_logins(*, user) -> list[LockedLogin]:
    """User names and addresses locked now, most recent first."""
    require_admin(user)
    rule = policy()
    window = timedelta(minutes=rule.cooloff_minutes)
    recent = AccessAttempt.objects.filter(attempt_time__gte=clock.now() - window)
    found: list[LockedLogin] = []
    for kind, field in (("user", "username"), ("address", "ip_address")):
        # (no ``ip_address=""`` test: the address field turns "" into NULL, and ``= NULL``
        # matches nothing)
        present = {"username__gt": ""} if field == "username" else {"ip_address__isnull": False}
        rows = (
            recent.filter(**present)
            .values(field)
            .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            .filter(failures__gte=rule.failure_limit)
        )
        found += [
            LockedLogin(kind, row[field], row["failures"], row["last"], row["last"] + window)
            for row in rows
        ]
    return sorted(found, key=lambda locked: locked.last_attempt, reverse=True)


def unlock(*, actor, kind: str, value: str) -> int:
    """Forget the failed attempts of a user name or an address; the number forgotten."""
    require_admin(actor)
    if kind == "user":
        forgotten = axes_reset(username=value)
    elif kind == "address":
        forgotten = axes_reset(ip=value)
    else:
        raise ValidationError({"kind": _("Unlock a user or an address.")})
    log.warning("login unlocked: %s %r by %s (%d attempt rows)", kind, value, actor, forgotten)
    return forgotten
