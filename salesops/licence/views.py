"""The pages' side of a scan (JSON for licence/scan.js: upload, poll, the kept photo) and
Settings · Business licence."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salesops.core.history import history_entries

from . import selectors, services
from .forms import PolicyForm
from .models import LicencePolicy, LicenceScan


def scan_json(scan: LicenceScan) -> dict:
    return {
        "id": scan.pk,
        "state": scan.state,
        "state_label": scan.get_state_display(),
        "progress": scan.progress,
        "finished": scan.finished,
        "fields": scan.fields,
        "error": scan.error,
        "keep_photo": scan.keep_photo,
        "has_photo": bool(scan.image),
        "ocr_seconds": scan.ocr_seconds,
    }


def _errors(exc: ValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {name: [str(m) for m in errs] for name, errs in exc.message_dict.items()}
    return {"image": [str(m) for m in exc.messages]}


@login_required
@require_POST
def scan_create(request):
    keep = request.POST.get("keep_photo")
    try:
        scan = services.scan_start(
            actor=request.user,
            upload=request.FILES.get("image"),
            keep_photo=None if keep is None else keep in ("1", "true", "on"),
        )
    except ValidationError as exc:
        errors = _errors(exc)
        first = next(iter(errors.values()))[0]
        return JsonResponse({"errors": errors, "message": first}, status=422)
    scan.refresh_from_db()  # an immediate worker (no queue) has read it already
    return JsonResponse(scan_json(scan), status=201)


@login_required
@require_GET
def scan_detail(request, pk: int):
    return JsonResponse(scan_json(selectors.scan_for(request.user, pk)))


@login_required
@require_GET
def scan_photo(request, pk: int):
    scan = selectors.scan_for(request.user, pk)
    if not scan.image:
        raise Http404(_("This scan's photo was not kept."))
    return FileResponse(scan.image.open("rb"), filename=scan.image_name or "licence.jpg")


@login_required
@require_http_methods(["GET", "POST"])
def policy(request):
    if not services.can_configure(request.user):
        raise PermissionDenied(
            _("Only a sales-ops admin or a director changes the business licence settings.")
        )
    current = LicencePolicy.current()
    form = PolicyForm(request.POST or None, policy=current)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.policy_save(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.attach_errors(_errors(exc))
            else:
                messages.success(request, _("Business licence settings saved; they apply at once."))
                return redirect("licence:policy")
    context = {
        "form": form,
        "fields": [form[name] for name in form.fields],
        "entries": history_entries(current) if current.pk else [],
    }
    return render(request, "licence/policy.html", context, status=status)
