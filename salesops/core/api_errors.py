"""The one error shape of the REST API, for every router and exception handler::

    {"code": "validation_error", "message": "…", "field": "phone", "errors": [{…}, …]}

It lives in core (not in salesops/api.py, the top layer that mounts the routers) so that an
app's router can answer a 422 itself without importing upwards.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja.renderers import JSONRenderer

_renderer = JSONRenderer()


def error_response(
    request, status: int, code: str, message: str, field: str | None = None, **extra
) -> HttpResponse:
    """A JSON error response, rendered exactly as NinjaAPI.create_response renders it."""
    body = {"code": code, "message": str(message), "field": field}
    body.update(extra)
    return HttpResponse(
        _renderer.render(request, body, response_status=status),
        status=status,
        content_type=f"{_renderer.media_type}; charset={_renderer.charset}",
    )


def validation_response(
    request, errors: list[dict], code: str = "validation_error", status: int = 422
) -> HttpResponse:
    """A 422 listing every ``{"code", "field", "message"}`` error, whose top-level message
    names the one field at fault or counts the fields that need attention."""
    first = errors[0] if errors else {"message": _("Invalid input."), "field": None}
    fields = list(dict.fromkeys(e["field"] or "?" for e in errors))
    if len(fields) <= 1:
        message = _("%(field)s: %(message)s") % first if first.get("field") else first["message"]
    else:
        message = ngettext(
            "%(n)d field needs attention: %(fields)s",
            "%(n)d fields need attention: %(fields)s",
            len(fields),
        ) % {"n": len(fields), "fields": ", ".join(fields)}
    return error_response(request, status, code, message, first.get("field"), errors=errors)


def django_errors(exc: DjangoValidationError) -> list[dict]:
    """A Django ValidationError as the API's list of ``{"code", "field", "message"}``."""
    out = []
    if hasattr(exc, "error_dict"):
        for field, errs in exc.error_dict.items():
            for e in errs:
                message = e.message % e.params if e.params else e.message
                out.append(
                    {
                        "code": e.code or "invalid",
                        "field": None if field == "__all__" else field,
                        "message": str(message),
                    }
                )
    else:
        for message in exc.messages:
            out.append({"code": "invalid", "field": None, "message": str(message)})
    return out
