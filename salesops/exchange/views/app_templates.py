"""Settings · App templates (SPEC X7): download the configuration, upload a template (or
pick a shipped industry one) to see what it would create, change or leave, then apply it.

The uploaded text travels back with the apply form: applying re-reads and re-checks it
(a preview is not a promise; the configuration may have changed in between), and nothing
is kept on the server between the two steps. Sales-ops admins and directors only.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salesops.core import clock

from .. import permissions
from ..appconfig import engine

INDUSTRY_DIR = Path(engine.__file__).with_name("industry")
# An app template is configuration, not data: a few hundred kilobytes. The preview sends
# the text back with the apply form, which must stay under Django's request body limit
# (DATA_UPLOAD_MAX_MEMORY_SIZE, 2.5 MB by default).
MAX_BYTES = 2 * 1024 * 1024


def _require(user) -> None:
    if not permissions.can_configure(user):
        raise PermissionDenied(_("Only sales-ops admins and directors use app templates."))


def industry_templates_found() -> list[dict]:
    """The shipped industry templates: file stem, name and description of each."""
    found = []
    for path in sorted(INDUSTRY_DIR.glob("*.json")) if INDUSTRY_DIR.is_dir() else []:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a broken shipped file is a bug for its tests, not for this page
        if isinstance(data, dict):
            found.append(
                {
                    "slug": path.stem,
                    "name": str(data.get("name") or path.stem),
                    "description": str(data.get("description") or ""),
                }
            )
    return found


def _preview_page(request, *, text: str | None, source: str, errors=()):
    """The preview of ``text``, or its refusal; ``errors`` add to the plan's own (a
    refusal met while applying)."""
    plan = None
    problems = list(errors)
    if text is not None:
        try:
            data = engine.loads(text)
        except ValidationError as exc:
            problems = exc.messages + problems
        else:
            plan = engine.preview(data)
            problems = plan.errors + [p for p in problems if p not in plan.errors]
    context = {
        "plan": plan,
        "errors": problems,
        "payload": text or "",
        "source": source,
    }
    status = 400 if problems else 200
    return render(request, "exchange/app_template_preview.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def app_template(request):
    _require(request.user)
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Choose an app template file (.json) to upload."))
            return redirect("exchange:app_template")
        if upload.size > MAX_BYTES:
            messages.error(
                request,
                _("The file has %(size)s; an app template has at most %(max)s.")
                % {"size": filesizeformat(upload.size), "max": filesizeformat(MAX_BYTES)},
            )
            return redirect("exchange:app_template")
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            return _preview_page(
                request,
                text=None,
                source=upload.name,
                errors=[_("This is not an app template: the file is not UTF-8 text.")],
            )
        return _preview_page(request, text=text, source=upload.name)
    return render(
        request,
        "exchange/app_template.html",
        {"industries": industry_templates_found()},
    )


@login_required
@require_GET
def app_template_export(request):
    _require(request.user)
    name = (request.GET.get("name") or "").strip()[:200]
    text = engine.dumps(engine.export_config(name=name))
    response = HttpResponse(text, content_type="application/json; charset=utf-8")
    filename = f"salesops-template-{clock.today():%Y%m%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_POST
def app_template_apply(request):
    _require(request.user)
    text = request.POST.get("payload") or ""
    source = (request.POST.get("source") or "")[:200]
    try:
        counts = engine.apply(engine.loads(text), actor=request.user)
    except ValidationError as exc:
        return _preview_page(request, text=text, source=source, errors=exc.messages)
    created = sum(c["created"] for c in counts.values())
    changed = sum(c["changed"] for c in counts.values())
    messages.success(
        request,
        _("App template applied: %(created)d created, %(changed)d changed, the rest unchanged.")
        % {"created": created, "changed": changed},
    )
    return redirect("exchange:app_template")


@login_required
@require_GET
def industry_templates(request):
    """The shipped industry templates; ``?template=<slug>`` previews one."""
    _require(request.user)
    found = industry_templates_found()
    slug = request.GET.get("template")
    if slug:
        if slug not in {t["slug"] for t in found}:
            raise Http404(_("No such industry template."))
        text = (INDUSTRY_DIR / f"{slug}.json").read_text(encoding="utf-8")
        return _preview_page(request, text=text, source=f"{slug}.json")
    return render(request, "exchange/app_template_industries.html", {"industries": found})
