"""The REST API at /api/v1/ (django-ninja).

Authentication: the browser session (with CSRF on writes) for the pages, or a personal
token (``Authorization: Bearer so_…``) for integrations. Every error has one shape::

    {"code": "validation_error", "message": "…", "field": "phone", "errors": [{…}, …]}
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import (
    ObjectDoesNotExist,
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyCookie, APIKeyHeader, HttpBearer

from salesops.core import apischema
from salesops.core.api_errors import django_errors, error_response, validation_response
from salesops.core.apischema import UnsafeInput
from salesops.customers.services import DuplicateError
from salesops.org import services as org_services

log = logging.getLogger(__name__)


class InvalidToken(AuthenticationError):
    """A request sent an API token (Bearer or X-API-Token) that is unknown, expired or
    revoked: answered 401 at once, without falling through to the session (whose CSRF
    check would hide the real reason behind a 403)."""


def _token_user(request, key):
    user = org_services.api_token_authenticate((key or "").strip())
    if user is None:
        raise InvalidToken()
    request.user = user
    return user


class TokenAuth(HttpBearer):
    """``Authorization: Bearer so_…`` personal API token."""

    def __call__(self, request):
        value = request.headers.get(self.header, "")
        scheme, _sep, token = value.strip().partition(" ")
        if scheme.lower() != self.openapi_scheme:
            return None  # no Authorization header, or another scheme: not ours
        return self.authenticate(request, token)

    def authenticate(self, request, token):
        return _token_user(request, token)


class TokenHeaderAuth(APIKeyHeader):
    """The same token in ``X-API-Token`` (for tools that cannot set Authorization)."""

    param_name = "X-API-Token"

    def authenticate(self, request, key):
        if key is None:
            return None
        return _token_user(request, key)


class SessionAuth(APIKeyCookie):
    """The browser session. A request without a logged-in session is simply not ours (the
    answer is 401 "log in or send a token"); only a real session is held to the CSRF check
    on writes (403)."""

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request):
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)

    def authenticate(self, request, key):
        return request.user if request.user.is_authenticated else None


api = NinjaAPI(
    title="SalesOps API",
    version="1.0.0",
    description=_(
        "SalesOps REST API. Authenticate with a personal token from your profile page "
        "(Authorization: Bearer so_…) or with the browser session."
    ),
    auth=[TokenAuth(), TokenHeaderAuth(), SessionAuth()],
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


error = error_response  # the short name the handlers below use


def _loc_to_field(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form", "payload", "data")]
    return ".".join(parts) or None


def _pydantic_message(err: dict) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind == "string_too_long":
        return _("Too long: at most %(n)s characters.") % {"n": ctx.get("max_length")}
    if kind == "string_too_short":
        return _("Too short: at least %(n)s characters.") % {"n": ctx.get("min_length")}
    if kind in ("int_parsing", "int_type"):
        return _("Enter a whole number.")
    if kind in ("decimal_parsing", "float_parsing", "decimal_type"):
        return _("Enter a number.")
    if kind in ("date_from_datetime_parsing", "date_parsing"):
        return _("Enter a date as YYYY-MM-DD.")
    if kind in ("literal_error", "enum"):
        return _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")}
    if kind == "string_type":
        return _("Enter text (null is not allowed here).")
    if kind in ("less_than_equal", "less_than"):
        return _("Enter a number no greater than %(n)s.") % {"n": ctx.get("le", ctx.get("lt"))}
    if kind in ("greater_than_equal", "greater_than"):
        return _("Enter a number no less than %(n)s.") % {"n": ctx.get("ge", ctx.get("gt"))}
    if kind == "extra_forbidden":
        return _("Unknown field.")
    return str(err.get("msg", _("Invalid value.")))


@api.exception_handler(NinjaValidationError)
def on_ninja_validation(request, exc: NinjaValidationError):
    errors = [
        {
            "code": e.get("type", "invalid"),
            "field": _loc_to_field(e.get("loc", ())),
            "message": _pydantic_message(e),
        }
        for e in exc.errors
    ]
    return validation_response(request, errors)


@api.exception_handler(DjangoValidationError)
def on_django_validation(request, exc: DjangoValidationError):
    if isinstance(exc, DuplicateError):
        match = exc.matches[0]
        existing = _describe_existing(request, match.record)
        return error(
            request,
            409,
            "duplicate",
            _("%(field)s: already registered as “%(label)s”.")
            % {"field": match.field, "label": existing["label"]},
            match.field,
            existing=existing,
        )
    return validation_response(request, django_errors(exc))


def _describe_existing(request, record) -> dict:
    """What a client may learn about the record a duplicate matches: a link if the user
    may see it, otherwise only that it exists and who owns it (to ask them)."""
    queryset = type(record).objects.visible_to(request.user)
    if queryset.filter(pk=record.pk).exists():
        return {
            "id": record.pk,
            "label": str(record),
            "url": record.get_absolute_url(),
            "visible": True,
        }
    owner = getattr(record, "owner", None) or getattr(
        getattr(record, "account", None), "owner", None
    )
    return {
        "id": None,
        "label": _("a record owned by %(owner)s") % {"owner": owner},
        "url": None,
        "visible": False,
    }


@api.exception_handler(ObjectDoesNotExist)
def on_missing(request, exc):
    return error(request, 404, "not_found", _("Not found, or you do not have access to it."))


@api.exception_handler(Http404)
def on_404(request, exc):
    return error(request, 404, "not_found", _("Not found, or you do not have access to it."))


@api.exception_handler(PermissionDenied)
def on_forbidden(request, exc):
    return error(request, 403, "forbidden", str(exc) or _("You are not allowed to do this."))


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    if isinstance(exc, InvalidToken):
        response = error(
            request,
            401,
            "unauthenticated",
            _(
                "The API token is invalid, expired or revoked: create a new one on your "
                "profile page and send it as “Authorization: Bearer so_…”."
            ),
        )
        response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response
    return error(
        request,
        401,
        "unauthenticated",
        _("Log in, or send a valid API token as “Authorization: Bearer so_…”."),
    )


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    codes = {
        400: "bad_request",
        401: "unauthenticated",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
        413: "too_large",
        429: "rate_limited",
    }
    if isinstance(exc.__cause__, UnsafeInput):  # raised by the parser, wrapped by ninja
        return _unsafe_input_response(request, exc.__cause__)
    message = exc.message
    if exc.status_code == 400 and message.startswith("Cannot parse request body"):
        message = _("The request body is not valid JSON.")
    if exc.status_code == 403 and message.startswith("CSRF check"):
        message = _(
            "The CSRF check failed: send the csrftoken cookie's value in the X-CSRFToken "
            "header, or authenticate with an API token instead of the session."
        )
    return error(request, exc.status_code, codes.get(exc.status_code, "error"), message)


@api.exception_handler(UnsafeInput)
def on_unsafe_input(request, exc: UnsafeInput):
    return _unsafe_input_response(request, exc)


def _unsafe_input_response(request, exc: UnsafeInput):
    errors = [{"code": exc.code, "field": exc.field, "message": str(exc.message)}]
    return validation_response(request, errors)


@api.exception_handler(RequestDataTooBig)
def on_too_big(request, exc):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return error(
        request,
        413,
        "too_large",
        _("The request body is larger than the limit of %(limit)s.")
        % {"limit": filesizeformat(limit)},
        limit=limit,
    )


@api.exception_handler(TooManyFieldsSent)
def on_too_many_fields(request, exc):
    return error(
        request,
        413,
        "too_large",
        _("The request has more than %(n)d fields.")
        % {"n": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS},
    )


def on_blocked_delete(request, exc):
    """A delete other records depend on (PROTECT or RESTRICT): 409 naming what blocks it."""
    objects = list(getattr(exc, "protected_objects", None) or exc.restricted_objects)
    return error(
        request,
        409,
        "protected",
        apischema.protected_message(objects),
        blocked_by=apischema.protected_summary(objects),
    )


api.add_exception_handler(ProtectedError, on_blocked_delete)
api.add_exception_handler(RestrictedError, on_blocked_delete)


@api.exception_handler(Exception)
def on_unexpected(request, exc):
    log.exception("unhandled API error")
    if settings.DEBUG and settings.SALESOPS.get("API_DEBUG_TRACEBACKS"):
        raise exc
    return error(
        request, 500, "server_error", _("Something went wrong on our side; it has been logged.")
    )


from salesops.customers.api import router as customers_router  # noqa: E402
from salesops.customization.api import router as customization_router  # noqa: E402
from salesops.org.api import router as org_router  # noqa: E402

api.add_router("/", customers_router)
api.add_router("/", customization_router)
api.add_router("/", org_router)
api.add_router("/", "salesops.automation.api.router")
api.add_router("/", "salesops.notifications.api.router")
api.add_router("/", "salesops.todos.api.router")
api.add_router("/", "salesops.leads.api.router")
api.add_router("/", "salesops.pipeline.api.router")
api.add_router("/", "salesops.activities.api.router")
api.add_router("/", "salesops.activities.api_daily.router")
api.add_router("/", "salesops.aftersales.api.router")
api.add_router("/", "salesops.revenue.api.router")
api.add_router("/", "salesops.knowledge.api_pushes.router")
api.add_router("/", "salesops.knowledge.api.router")
api.add_router("/", "salesops.targets.api_plans.router")
api.add_router("/", "salesops.targets.api_decomposition.router")
api.add_router("/", "salesops.targets.api_health.router")
api.add_router("/", "salesops.targets.api_survey.router")
api.add_router("/", "salesops.kpi.api_schemes.router")
api.add_router("/", "salesops.kpi.api_me.router")
api.add_router("/", "salesops.kpi.api_growth.router")
api.add_router("/", "salesops.kpi.api_review.router")
api.add_router("/", "salesops.incentives.api_statements.router")
api.add_router("/", "salesops.incentives.api_plans.router")
api.add_router("/", "salesops.incentives.api_runs.router")
api.add_router("/", "salesops.incentives.api_ltv.router")
api.add_router("/", "salesops.exchange.api.router")
api.add_router("/", "salesops.exchange.api_app_templates.router")
api.add_router("/", "salesops.integrations.api.router")
api.add_router("/", "salesops.licence.api.router")
api.add_router("/", "salesops.inbox.api.router")
api.add_router("/", "salesops.field.api.router")
api.add_router("/", "salesops.reports.api.router")
api.add_router("/", "salesops.reports.api_pipeline.router")
api.add_router("/", "salesops.reports.api_weekly.router")
api.add_router("/", "salesops.outcomes.api.router")
api.add_router("/", "salesops.diagnosis.api.router")


def _harden(api: NinjaAPI) -> None:
    """Bad input → 4xx everywhere, and an OpenAPI that says so (salesops/core/apischema.py):
    the parser refuses unstorable text, every input integer is bounded, null for a NOT NULL
    text field is "" or refused, and each operation documents its error responses."""
    api.parser = apischema.SafeParser()
    apischema.harden_operations(api)
    generate = api.get_openapi_schema

    def get_openapi_schema(*args, **kwargs):
        return apischema.add_error_responses(
            generate(*args, **kwargs), throttled=apischema.throttled_operation_ids(api)
        )

    api.get_openapi_schema = get_openapi_schema


_harden(api)
