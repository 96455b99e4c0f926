"""The installable app's files (manifest, service worker) and the offline pages: the
workbench ("离线工作台", filled from IndexedDB by field/workbench.js), the conflicts and
the settings."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from salesops.core.history import history_entries

from . import selectors, services
from .forms import PolicyForm
from .models import FieldPolicy, SyncConflict

# Bump when the worker's own logic changes; the cached files change their list anyway.
WORKER_VERSION = "1"

SHELL_STATIC = (
    "vendor/tabler/tabler.min.css",
    "vendor/tabler-icons/tabler-icons.min.css",
    "vendor/tabler-icons/fonts/tabler-icons.woff2",
    "vendor/htmx/htmx.min.js",
    "vendor/alpinejs/alpine-csp.min.js",
    "vendor/idb/idb.umd.js",
    "web/app.css",
    "web/app.js",
    "web/checkin.js",
    "web/favicon.svg",
    "knowledge/knowledge.js",
    "field/field.js",
    "field/workbench.js",
    "field/icon-192.png",
    "field/icon-512.png",
)


@require_GET
def manifest(request):
    """The web app manifest: Chinese name and English short name, the icons, start at the
    offline workbench so the installed app opens even without a network."""
    body = {
        "name": "销售运营 SalesOps",
        "short_name": "销售运营",
        "lang": "zh-Hans",
        "description": "SalesOps field app: quick entry, check-ins and notes, online or offline.",
        "start_url": reverse("field:workbench"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#206bc4",
        "icons": [
            {"src": static("field/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("field/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("field/icon-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    return HttpResponse(
        json.dumps(body, ensure_ascii=False), content_type="application/manifest+json"
    )


@require_GET
def service_worker(request):
    """The worker at the site root (its scope is the whole site). Its text names the
    cache by version and the shell's files; never cached by the browser's HTTP cache."""
    shell = [static(path) for path in SHELL_STATIC]
    pages = [reverse("field:workbench"), reverse("leads:quick_entry")]
    config = {
        "version": WORKER_VERSION,
        "shell": shell,
        "pages": pages,
        "offline": reverse("field:workbench"),
        "runtime": ["/leads/", "/activities/", "/field/", "/customers/", "/tasks/"],
    }
    body = render_to_string("field/sw.js", {"config": json.dumps(config)})
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@login_required
@require_GET
def workbench(request):
    """The offline workbench: a shell the script fills from IndexedDB."""
    return render(
        request,
        "field/workbench.html",
        {"open_conflicts": selectors.open_conflicts(request.user).count()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def conflicts(request):
    if request.method == "POST":
        try:
            conflict = selectors.conflict_get(user=request.user, pk=int(request.POST.get("id")))
        except (SyncConflict.DoesNotExist, TypeError, ValueError):
            raise Http404(_("No such record, or you may not open it.")) from None
        try:
            services.conflict_resolve(
                actor=request.user,
                conflict=conflict,
                choice=request.POST.get("choice", ""),
                value=request.POST.get("value", ""),
            )
        except (ValidationError, PermissionDenied) as exc:
            text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            messages.error(request, text)
        else:
            messages.success(request, _("Conflict resolved; both values stay recorded."))
        return redirect("field:conflicts")
    rows = list(selectors.conflicts(request.user)[:200])
    return render(request, "field/conflicts.html", {"conflicts": rows})


@login_required
@require_http_methods(["GET", "POST"])
def policy(request):
    if not services.can_configure(request.user):
        raise PermissionDenied(_("Only a sales-ops admin or a director changes these settings."))
    current = FieldPolicy.current()
    initial = {name: getattr(current, name) for name in PolicyForm.base_fields}
    form = PolicyForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.policy_save(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(name if name in form.fields else None, error)
            else:
                messages.success(
                    request, _("Offline field app settings saved; they apply at once.")
                )
                return redirect("field:policy")
    context = {
        "form": form,
        "fields": [form[name] for name in form.fields],
        "entries": history_entries(current) if current.pk else [],
    }
    return render(request, "field/policy.html", context, status=status)
