"""App templates over the API (SPEC X7), for sales-ops admins and directors (anyone else:
403): ``GET /app-templates/export`` the file, ``POST /app-templates/preview`` and ``POST
/app-templates/apply`` with the file as the request body. A body that is not an app
template, or one the preview refuses, is 422 with the messages; apply writes nothing then.

Registered by ``salesops/api.py``: ``api.add_router("/", "salesops.exchange.api_app_templates.router")``.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Router

from salesops.core import clock

from . import permissions
from .appconfig import engine

router = Router(tags=["app templates"])


def _require(user) -> None:
    if not permissions.can_configure(user):
        raise PermissionDenied(_("Only sales-ops admins and directors use app templates."))


@router.get(
    "/app-templates/export",
    summary="Export the configuration as an app template",
    description="The JSON file Settings · App templates downloads: every section by natural "
    "keys, no ids, no tokens or secrets; the same configuration gives the same bytes.",
)
def export_app_template(request, name: str = ""):
    _require(request.user)
    text = engine.dumps(engine.export_config(name=name.strip()[:200]))
    response = HttpResponse(text, content_type="application/json; charset=utf-8")
    filename = f"salesops-template-{clock.today():%Y%m%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@router.post(
    "/app-templates/preview",
    summary="Preview an app template",
    description="The request body is the template. Answers, per section, the keys that "
    "would be created, changed, left unchanged, and kept (in this installation, not in the "
    "file), with `ok` false and the `errors` that refuse it (unknown section, bad item, "
    "dangling reference). Writes nothing.",
)
def preview_app_template(request):
    _require(request.user)
    return engine.preview(engine.loads(request.body)).as_dict()


@router.post(
    "/app-templates/apply",
    summary="Apply an app template",
    description="The request body is the template. Applied in one transaction: created, "
    "changed and unchanged counts per section; a refused file (422) writes nothing. "
    "Applying the same file again changes nothing.",
)
def apply_app_template(request):
    _require(request.user)
    data = engine.loads(request.body)
    plan = engine.preview(data)
    if not plan.ok:
        raise ValidationError({"file": plan.errors})
    return {"sections": engine.apply(data, actor=request.user)}
